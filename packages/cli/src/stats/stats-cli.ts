import { setTimeout as sleep } from 'node:timers/promises'
import { DateTime } from 'luxon'
import { UsageError } from '@pq/core'
import { commandParser, withConnectionOptions, parseCommand, numberFlag, liveSecondsFlag, liveSecondsOption, type CliIo } from '@pq/cli-kit'
import {
  readEnv,
  acquirePool,
  queryContext,
  schemaName,
  queueName,
  collectQueueStats,
  toRqStats,
  statsTableHealth,
  tableHealthWarnings,
  type CountMode,
} from '@pq/core/internal'
import { renderStatsTable, renderStatsYaml, renderHealth } from './stats-render.js'

/** Clears a terminal and puts the cursor home, so `--interval` redraws in place. */
const CLEAR = '\x1b[H\x1b[2J'

/**
 * `pq-stats`: rqstats for pq. One row per queue (queued, active, deferred, scheduled, finished,
 * failed, live workers), as a table, `--json` or `--yaml`; `--interval` redraws until Ctrl-C.
 */
export async function statsCli(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIo,
  signal?: AbortSignal,
): Promise<number> {
  const parser = withConnectionOptions(
    commandParser('pq-stats', argv)
      .usage(
        '$0 [options]\n\nQueue statistics. Queued, active, deferred and scheduled are exact counts. Finished, failed,\n' +
          "stopped and canceled are exact up to 20,000 jobs per queue; above that they are the planner's\n" +
          'estimate (shown as ~N, listed in "estimated" in --json), unless --exact.',
      )
      .option('queue', { type: 'string', array: true, describe: 'Only this queue (repeatable)' })
      .option('json', { type: 'boolean', describe: "Print rqstats' JSON shape" })
      .option('yaml', { type: 'boolean', describe: 'Print the same document as YAML' })
      .option('interval', { type: 'string', describe: 'Redraw every SECONDS until Ctrl-C' })
      .option('count', { type: 'string', describe: 'With --interval: stop after N draws' })
      .option('exact', { type: 'boolean', describe: 'Count finished/failed exactly however many there are (slow on millions)' })
      .option('estimate', { type: 'boolean', describe: 'Estimate finished/failed from statistics without counting' })
      .option('live-seconds', liveSecondsOption)
      .conflicts('json', 'yaml')
      .conflicts('exact', 'estimate')
      .example('pq-stats', 'the table, once')
      .example('pq-stats --interval 5', 'redraw every 5 seconds until Ctrl-C')
      .example('pq-stats --json --queue emails', 'one queue, as JSON'),
  )
  const args = await parseCommand(parser, argv, io)
  if (!args) return 0
  const interval = numberFlag('--interval', args.interval, { min: 0.01, max: 86400, example: '5' })
  const count = numberFlag('--count', args.count, { min: 1, max: 1e9, integer: true, example: '3' })
  const liveSeconds = liveSecondsFlag(args['live-seconds'])
  if (count !== undefined && interval === undefined) throw new UsageError('--count needs --interval; use e.g. --interval 5 --count 3')
  const queues = (args.queue ?? []).map((name) => queueName(String(name)))
  const mode: CountMode = args.exact ? 'exact' : args.estimate ? 'estimate' : 'auto'
  const e = readEnv(env)
  const schema = schemaName(args.schema ?? e.schema)
  const { pool, release } = acquirePool(args['database-url'] ?? e.databaseUrl, undefined)
  try {
    const ctx = queryContext(pool, schema)
    for (let drawn = 0; ; drawn++) {
      const all = await collectQueueStats(ctx, { queue: queues.length === 1 ? queues[0]! : null, mode, liveSeconds })
      const stats = queues.length > 1 ? all.filter((s) => queues.includes(s.name)) : all
      const health = await statsTableHealth(ctx)
      const warnings = tableHealthWarnings(health)
      let text: string
      if (args.json) {
        // rqstats' shape, plus pq's table health beside the queues.
        const tables = health.tables.map((t) => ({
          table: t.table,
          live_tuples: t.live,
          dead_tuples: t.dead,
          last_vacuum: t.last_vacuum?.toISOString() ?? null,
          last_autovacuum: t.last_autovacuum?.toISOString() ?? null,
          last_analyze: t.last_analyze?.toISOString() ?? null,
          last_autoanalyze: t.last_autoanalyze?.toISOString() ?? null,
        }))
        text = `${JSON.stringify({ ...toRqStats(stats), tables, oldest_xact_age_seconds: health.oldestXactSeconds, autovacuum: health.autovacuum, warnings })}\n`
      } else if (args.yaml) text = renderStatsYaml(toRqStats(stats))
      else text = renderStatsTable(stats) + renderHealth(health, warnings)
      if (interval !== undefined && !args.json && !args.yaml) {
        const heading = `pq-stats, every ${interval} s (Ctrl-C to stop): ${DateTime.utc().toFormat("yyyy-LL-dd HH:mm:ss 'UTC'")}\n`
        text = `${io.out.isTTY ? CLEAR : drawn > 0 ? '\n' : ''}${heading}${text}`
      }
      io.out.write(text)
      if (interval === undefined || (count !== undefined && drawn + 1 >= count)) break
      try {
        await sleep(interval * 1000, undefined, { signal })
      } catch {
        break // aborted: the caller asked us to stop between draws
      }
    }
  } finally {
    await release()
  }
  return 0
}
