import { WriteCostProbe, type WriteCost } from './write-cost-probe.js'
import { withWorkers, type RunContext, type RunOutcome, type Scenario } from './scenario.js'

/**
 * What a job costs the database, for each Postgres-backed series (pq, graphile-worker, limit): N jobs
 * are bulk-enqueued and drained by W worker processes while a probe (write-cost-probe.ts) counts the
 * row versions written to each table, how many updates were HOT, and the entries written to each
 * index. Not timed: the probe's trigger slows every write, and what it counts is the same either way.
 *
 * Besides the headline figures, a run's metrics carry the breakdown under keys the write-cost table
 * reads: `table:<name>:versions|hot|deletes`, `index:<table>.<index>:entries|bytes`.
 */
async function runWriteCost(ctx: RunContext): Promise<RunOutcome> {
  const postgres = ctx.backend.postgres
  if (!postgres) throw new Error(`the write-cost scenario needs a Postgres-backed series, not ${ctx.backend.label}`)
  const probe = await WriteCostProbe.open(postgres.databaseUrl, postgres.schema)
  try {
    await probe.install()
    const payloads = Array.from({ length: ctx.jobs }, () => ({ sleepMs: ctx.sleepMs }))
    const enqueued = await ctx.backend.enqueueBulk(payloads)
    const pool = await ctx.spawnWorkers()
    const { result, executed } = await withWorkers(pool, async () => {
      await pool.start()
      const end = await pool.waitForEnded(ctx.jobs, { onProgress: (p) => ctx.progress(p.finished, ctx.jobs) })
      return { failed: end.failed }
    })
    const cost = await probe.measure()
    if (!cost.statsAgree)
      console.error(`write-cost: ${ctx.backend.label}: pg_stat never caught up with the probe's counts in 15 s; its HOT count may be short`)
    return { enqueued, executed, failed: result.failed, metrics: writeCostMetrics(cost, ctx.jobs) }
  } finally {
    await probe.remove().catch(() => {}) // best effort: install drops leftovers of a crashed run first
    await probe.close()
  }
}

/** Per-job figures: the headline sums, then the breakdown by table and index. */
export function writeCostMetrics(cost: WriteCost, jobs: number): Record<string, number> {
  const per = (n: number): number => n / jobs
  const sum = <T>(items: readonly T[], f: (item: T) => number): number => items.reduce((a, item) => a + f(item), 0)
  const metrics: Record<string, number> = {
    versionsPerJob: per(sum(cost.tables, (t) => t.inserts + t.updates)),
    hotPerJob: per(sum(cost.tables, (t) => t.hotUpdates)),
    deletesPerJob: per(sum(cost.tables, (t) => t.deletes)),
    indexEntriesPerJob: per(sum(cost.indexes, (i) => i.entries)),
    indexBytesPerJob: per(sum(cost.indexes, (i) => i.bytes)),
    heapBytesPerJob: per(sum(cost.tables, (t) => t.heapBytes)),
  }
  for (const t of cost.tables) {
    metrics[`table:${t.table}:versions`] = per(t.inserts + t.updates)
    metrics[`table:${t.table}:hot`] = per(t.hotUpdates)
    metrics[`table:${t.table}:deletes`] = per(t.deletes)
  }
  for (const i of cost.indexes) {
    metrics[`index:${i.table}.${i.index}:entries`] = per(i.entries)
    metrics[`index:${i.table}.${i.index}:bytes`] = per(i.bytes)
  }
  return metrics
}

export const writeCost: Scenario = {
  name: 'write-cost',
  describe: (jobs, concurrency) =>
    `what a job costs the database: ${jobs.toLocaleString('en-US')} jobs bulk-enqueued, then drained by W worker ` +
    `processes (concurrency ${concurrency}); row versions (HOT updates apart) and index entries written, per job, from enqueue to done`,
  usesWorkers: true,
  metrics: [
    { key: 'versionsPerJob', label: 'row versions', unit: 'per job', shown: true },
    { key: 'hotPerJob', label: 'of them HOT', unit: 'per job', shown: true },
    { key: 'deletesPerJob', label: 'deletes', unit: 'per job', shown: true },
    { key: 'indexEntriesPerJob', label: 'index entries', unit: 'per job', shown: true },
    { key: 'indexBytesPerJob', label: 'index bytes grown', unit: 'per job', shown: false },
    { key: 'heapBytesPerJob', label: 'heap bytes grown', unit: 'per job', shown: false },
  ],
  primary: 'indexEntriesPerJob',
  supports: (backend) => backend.postgres !== null,
  run: runWriteCost,
}
