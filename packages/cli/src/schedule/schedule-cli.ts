import { Queue, Schedule, UsageError, resolveFunction, type ScheduleCall } from '@pq/core'
import { commandParser, withConnectionOptions, withEnqueueOptions, parseCommand, renderTable, type CliIo } from '@pq/cli-kit'
import { readEnv } from '@pq/core/internal'
import { parseCallArguments, parseKwargs, enqueueOptionsFromFlags } from '../shared/call-arguments.js'

const WEEKDAY_FLAGS = ['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'] as const

/**
 * `pq-schedule AT FUNC [ARGS...]`: stores a schedule (workers enqueue its runs) and prints its id
 * and next run; `--list` and `--cancel ID` manage schedules.
 */
export async function scheduleCli(argv: readonly string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  let parser = withConnectionOptions(
    commandParser('pq-schedule', argv)
      .parserConfiguration({ 'parse-positional-numbers': false })
      .command('$0 [at] [func] [args..]', 'Schedule FUNC at AT (an ISO 8601 date or date-time, or now), once or on a rule.', (y) =>
        y
          .positional('at', { type: 'string', describe: 'First run: 2030-01-01, 2030-01-01T9:10, 2030-01-01T09:10Z, or now' })
          .positional('func', { type: 'string', describe: 'The function, e.g. tasks.report' })
          .positional('args', { type: 'string', array: true, describe: 'Arguments: JSON where they parse, else strings' }),
      )
      .option('repeat', { type: 'string', describe: 'Extra runs: 0 once (default), N more times, -1 forever, or an end date' })
      .option('interval', { type: 'string', describe: 'Time between runs: seconds, or an ISO 8601 duration (P1D, PT30M, P1M)' })
      .option('until', { type: 'string', describe: 'No run after this date' })
      .option('between', { type: 'string', describe: "Daily window: '2:00/18:30', '2.00-18.30', '2-18:30', '22:00/02:00'" })
      .option('cron', { type: 'string', describe: "Cron expression instead of an interval: '30 9 * * 1-5' (seconds first if 6 fields)" })
      .option('tz', { type: 'string', describe: 'IANA zone for dates without offset, the window, weekdays and cron (default UTC)' }),
  )
  for (const day of WEEKDAY_FLAGS) parser = parser.option(day, { type: 'boolean', describe: `Run on ${day.toUpperCase()}` })
  // The job options are each run's: every run enqueues one job with them.
  const full = withEnqueueOptions(parser)
    .option('id', { type: 'string', describe: 'Your own id for the schedule' })
    .option('list', { type: 'boolean', describe: 'List live schedules (with --all, ended ones too)' })
    .option('all', { type: 'boolean', describe: 'With --list: include ended and canceled schedules' })
    .option('cancel', { type: 'string', describe: 'Cancel the schedule ID' })
    .option('json', { type: 'boolean', describe: 'Print JSON' })
    .example('pq-schedule 2030-01-01 reports.yearly', 'a one-off on the first day of 2030 (midnight UTC)')
    .example('pq-schedule 2030-01-01T9:10 package.module.func arg1 arg2', 'any ISO 8601 date-time; arguments parse as JSON where they can')
    .example('pq-schedule now reports.daily --repeat=-1 --interval=86400 --mo --tu', 'daily from now, on Mondays and Tuesdays only')
    .example("pq-schedule now backup.run --cron '0 3 * * *' --tz Europe/Paris", 'every day at 03:00 Paris time')
    .example('pq-schedule --list --json', 'list live schedules as JSON')
    .example('pq-schedule --cancel 4f0c...', 'cancel a schedule')
  const args = await parseCommand(full, argv, io)
  if (!args) return 0
  const e = readEnv(env)
  const lookup = { connection: args['database-url'] ?? e.databaseUrl, schema: args.schema ?? e.schema }
  if (args.list) return listSchedules(io, lookup, args.all ?? false, args.json ?? false)
  if (args.cancel !== undefined) {
    await Schedule.cancel(args.cancel, lookup)
    io.out.write(args.json ? `${JSON.stringify({ id: args.cancel, canceled: true })}\n` : `Canceled schedule ${args.cancel}\n`)
    return 0
  }
  if (args.at === undefined || args.func === undefined) {
    throw new UsageError('give a first run time and a function, e.g. pq-schedule 2030-01-01 reports.yearly; see pq-schedule --help')
  }
  const weekdays = WEEKDAY_FLAGS.filter((d) => args[d]).map((d) => d.toUpperCase())
  const call: ScheduleCall = {
    func: args.func as string, // a string: positional numbers are not parsed
    args: parseCallArguments((args.args as string[] | undefined) ?? []),
    kwargs: parseKwargs(args.kwargs),
    repeat: args.repeat,
    interval: args.interval,
    until: args.until,
    between: args.between,
    weekdays: weekdays.length ? weekdays : undefined,
    cron: args.cron,
    tz: args.tz,
    ...enqueueOptionsFromFlags(args),
    id: args.id,
  }
  for (const key of Object.keys(call) as (keyof ScheduleCall)[]) if (call[key] === undefined) delete call[key]
  const path = args.path ?? e.path ?? process.cwd()
  if (args.verify) await resolveFunction(call.func, path, { packages: args['task-package'] ?? [] })
  const queue = new Queue(args.queue, { ...lookup, path })
  try {
    const schedule = await queue.scheduleCall(args.at as string, call)
    if (args.json) io.out.write(`${JSON.stringify(scheduleJson(schedule))}\n`)
    else
      io.out.write(
        `${schedule.id}\nNext run: ${schedule.nextRunAt?.toISO({ suppressMilliseconds: true }) ?? 'none (every run is past its end)'}\n${schedule.description}\n`,
      )
    return 0
  } finally {
    await queue.close()
  }
}

async function listSchedules(io: CliIo, lookup: { connection?: string; schema?: string }, all: boolean, json: boolean): Promise<number> {
  const schedules = await Schedule.list({ ...lookup, includeEnded: all, limit: 1000 })
  if (json) {
    io.out.write(`${JSON.stringify({ schedules: schedules.map(scheduleJson) })}\n`)
    return 0
  }
  if (schedules.length === 0) {
    io.out.write('No schedules.\n')
    return 0
  }
  const rows = schedules.map((s) => [
    s.id,
    s.queue,
    s.func,
    s.nextRunAt?.toISO({ suppressMilliseconds: true }) ?? '-',
    s.runsLeft === null ? '∞' : String(s.runsLeft),
    String(s.runCount),
  ])
  io.out.write(`${renderTable({ header: ['ID', 'Queue', 'Function', 'Next run', 'Left', 'Runs'], rows }, 'plain')}\n`)
  return 0
}

function scheduleJson(s: Schedule) {
  return {
    id: s.id,
    queue: s.queue,
    func: s.func,
    args: s.args,
    kwargs: s.kwargs,
    next_run_at: s.nextRunAt?.toISO() ?? null,
    runs_left: s.runsLeft,
    run_count: s.runCount,
    last_run_at: s.lastRunAt?.toISO() ?? null,
    last_job_id: s.lastJobId,
    rule: {
      anchor: s.rule.anchor.toISO(),
      repeat: s.rule.repeat,
      until: s.rule.until?.toISO() ?? null,
      interval: s.rule.interval,
      between: s.rule.between,
      weekdays: s.rule.weekdays,
      cron: s.rule.cron,
      tz: s.rule.tz,
    },
    description: s.description,
    canceled_at: s.canceledAt?.toISO() ?? null,
    job_options: {
      timeout: s.jobOptions.timeout,
      result_ttl: s.jobOptions.resultTtl,
      failure_ttl: s.jobOptions.failureTtl,
      ttl: s.jobOptions.ttl,
      retry: s.jobOptions.retry,
      description: s.jobOptions.description,
      at_front: s.jobOptions.atFront,
      isolate: s.jobOptions.isolate,
    },
  }
}
