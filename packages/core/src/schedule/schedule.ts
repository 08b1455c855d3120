import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import type { Json, ScheduleRow } from '../db/tables.js'
import type { QueryContext } from '../db/query-context.js'
import { acquirePool, type ConnectionOption } from '../db/pools.js'
import { queryContext } from '../db/query-context.js'
import { schemaName } from '../db/schema-name.js'
import { readEnv } from '../config/env.js'
import { InvalidOption, NoSuchSchedule } from '../errors.js'
import {
  resolveEnqueueCall,
  DEFAULT_FAILURE_TTL,
  DEFAULT_RESULT_TTL,
  type EnqueueOptions,
  type QueueDefaults,
} from '../job/enqueue-options.js'
import type { JobInsertRow } from '../job/job-insert.js'
import { newJobId } from '../job/job-id.js'
import {
  resolveScheduleRule,
  nextRun,
  runsLeft,
  describeRule,
  type ScheduleRule,
  type ScheduleRuleInput,
  type AtInput,
} from './schedule-rules.js'
import { scheduleInsert, scheduleFetch, scheduleList, scheduleCancel, type ScheduleInsertRow } from './schedule-queries.js'

/** A schedule's rule and the call each run enqueues (`at` is given separately). */
export interface ScheduleCall extends Omit<ScheduleRuleInput, 'at'>, Omit<EnqueueOptions, 'at' | 'in' | 'dependsOn' | 'jobId'> {
  func: string
  args?: readonly unknown[]
  kwargs?: Record<string, unknown>
  /** Your own id for the schedule. @defaultValue a random UUID */
  id?: string
}

const RULE_KEYS = ['repeat', 'interval', 'until', 'between', 'weekdays', 'cron', 'tz'] as const

/** The enqueue options a schedule stores for its runs' jobs. */
type StoredOptions = Omit<
  JobInsertRow,
  'id' | 'queue' | 'func' | 'args' | 'kwargs' | 'dependsOn' | 'scheduledFor' | 'flowId' | 'scheduleId'
>

/** The job options every run of a schedule gets, as stored with it. */
export interface ScheduleJobOptions {
  /** Seconds each run may take; null: the worker's default (DEFAULT_JOB_TIMEOUT, 600 s, unless --default-timeout). */
  timeout: number | null
  /** Seconds a finished run's result is kept; 0 deletes at once, -1 keeps forever. */
  resultTtl: number
  /** Seconds a failed run is kept; -1 keeps forever. */
  failureTtl: number
  /** Seconds a run may wait in its queue before it is discarded; null: no limit. */
  ttl: number | null
  retry: { max: number; intervals: number[] }
  description: string | null
  atFront: boolean
  /** Lower runs first within the queue. */
  priority: number
  /** Run in a thread killed at its timeout; null: the worker's --isolate. */
  isolate: boolean | null
}

/**
 * A stored schedule: a rule saying when, and the call each run enqueues. Workers fire due runs; no
 * separate scheduler process is needed.
 */
export class Schedule {
  readonly id: string
  readonly queue: string
  readonly func: string
  readonly args: Json[]
  readonly kwargs: Record<string, Json>
  readonly rule: ScheduleRule
  /** The next run, or null once the schedule is exhausted or canceled. */
  readonly nextRunAt: DateTime | null
  /** Slot number of the next run (0 = the first). */
  readonly nextK: number
  /** Runs fired so far. */
  readonly runCount: number
  readonly lastRunAt: DateTime | null
  readonly lastJobId: string | null
  readonly createdAt: DateTime
  readonly canceledAt: DateTime | null
  /** The job options each run's job gets (timeout, TTLs, retry...). */
  readonly jobOptions: ScheduleJobOptions

  /** @internal Schedules come from `queue.schedule*` and `Schedule.get/list`. */
  constructor(row: ScheduleRow) {
    this.id = row.id
    this.queue = row.queue
    this.func = row.func
    this.args = row.args as Json[]
    this.kwargs = row.kwargs as Record<string, Json>
    this.rule = ruleFromRow(row)
    this.nextRunAt = toDateTime(row.next_run_at)
    this.nextK = row.next_k
    this.runCount = row.run_count
    this.lastRunAt = toDateTime(row.last_run_at)
    this.lastJobId = row.last_job_id
    this.createdAt = toDateTime(row.created_at)!
    this.canceledAt = toDateTime(row.canceled_at)
    this.jobOptions = jobOptionsFromRow(row)
  }

  /**
   * Runs still to happen, counting the next one: 1 + repeat - runCount, or what `until` leaves;
   * 0 once ended or canceled; null when nothing ends the rule (or `until` is over 10,000 runs away).
   */
  get runsLeft(): number | null {
    return runsLeft(this.rule, this.nextRunAt === null ? null : { k: this.nextK, at: this.nextRunAt }, this.runCount)
  }

  /** A short human description: "every P1D from ... between 02:00/18:30, 10 runs left". */
  get description(): string {
    return this.nextRunAt === null ? `${describeRule(this.rule)} (ended)` : describeRule(this.rule, this.runsLeft)
  }

  /** Every schedule (live ones by default), soonest first. */
  static async list(
    options: ScheduleLookup & { queue?: string; includeEnded?: boolean; offset?: number; limit?: number } = {},
  ): Promise<Schedule[]> {
    return withLookup(options, async (ctx) =>
      (
        await scheduleList(ctx, {
          queue: options.queue ?? null,
          includeEnded: options.includeEnded ?? false,
          offset: options.offset ?? 0,
          limit: options.limit ?? 100,
        })
      ).map((row) => new Schedule(row)),
    )
  }

  /** One schedule; undefined when there is none, as every pq lookup (actions on a missing id throw). */
  static async get(id: string, options: ScheduleLookup = {}): Promise<Schedule | undefined> {
    return withLookup(options, async (ctx) => {
      const row = await scheduleFetch(ctx, { id })
      return row ? new Schedule(row) : undefined
    })
  }

  /** Cancels a schedule: no further runs (jobs it already enqueued are left alone). */
  static async cancel(id: string, options: ScheduleLookup = {}): Promise<void> {
    await withLookup(options, async (ctx) => {
      if (!(await scheduleCancel(ctx, { id }))) throw new NoSuchSchedule(id)
    })
  }
}

/** Where to look schedules up. */
export interface ScheduleLookup {
  /** @defaultValue DATABASE_URL, else libpq's PG* variables */
  connection?: ConnectionOption
  /** @defaultValue PQ_SCHEMA, else 'pq' */
  schema?: string
}

async function withLookup<T>(options: ScheduleLookup, fn: (ctx: QueryContext) => Promise<T>): Promise<T> {
  const env = readEnv(process.env)
  const { pool, release } = acquirePool(options.connection, env.databaseUrl)
  try {
    return await fn(queryContext(pool, schemaName(options.schema ?? env.schema)))
  } finally {
    await release()
  }
}

const toDateTime = (d: Date | null) => (d === null ? null : DateTime.fromJSDate(d).toUTC())

/** A schedule's stored run options, with the enqueue defaults for any it lacks. */
function jobOptionsFromRow(row: ScheduleRow): ScheduleJobOptions {
  const o = (row.options ?? {}) as Partial<StoredOptions>
  return Object.freeze({
    timeout: o.timeout ?? null,
    resultTtl: o.resultTtl ?? DEFAULT_RESULT_TTL,
    failureTtl: o.failureTtl ?? DEFAULT_FAILURE_TTL,
    ttl: o.ttl ?? null,
    retry: { max: o.retryMax ?? 0, intervals: o.retryIntervals ?? [] },
    description: o.description ?? null,
    atFront: o.atFront ?? false,
    priority: o.priority ?? 0,
    isolate: o.isolate ?? null,
  })
}

/** Rebuilds a stored rule (frozen, so the rules module may cache its compiled form). */
export function ruleFromRow(row: ScheduleRow): ScheduleRule {
  return Object.freeze({
    anchor: DateTime.fromJSDate(row.anchor_at).toUTC(),
    repeat: row.repeat,
    until: toDateTime(row.until_at),
    interval: row.interval,
    between: row.between,
    weekdays: row.weekdays,
    cron: row.cron,
    tz: row.tz,
  })
}

/**
 * Validates a schedule call before any I/O and computes its first run. Rule options go to the rule;
 * the rest are enqueue options checked as enqueue checks them.
 * @internal
 */
export function resolveScheduleCall(
  queue: string,
  at: AtInput,
  call: ScheduleCall,
  defaults: QueueDefaults,
  now: DateTime = DateTime.utc(),
): ScheduleInsertRow {
  if (typeof call !== 'object' || call === null) throw new InvalidOption('call', 'scheduleCall takes (at, { func, args, ... })')
  const ruleInput: ScheduleRuleInput = { at }
  const enqueue: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(call)) {
    if (value === undefined || key === 'id') continue
    if ((RULE_KEYS as readonly string[]).includes(key)) (ruleInput as unknown as Record<string, unknown>)[key] = value
    else if (key === 'at' || key === 'in' || key === 'dependsOn' || key === 'jobId') {
      throw new InvalidOption(
        key,
        `"${key}" does not apply to a schedule: its runs start at the rule's times; give the first time as the first argument`,
      )
    } else enqueue[key] = value
  }
  const rule = resolveScheduleRule(ruleInput, now)
  const row = resolveEnqueueCall(queue, enqueue as never, defaults, now)
  const first = nextRun(rule, null, now)
  const id = call.id ?? randomUUID()
  if (typeof id !== 'string' || id.length === 0 || id.length > 200)
    throw new InvalidOption('id', `invalid schedule id ${JSON.stringify(id)}: use 1-200 characters`)
  const { id: _id, queue: _q, func, args, kwargs, dependsOn: _d, scheduledFor: _s, flowId: _f, scheduleId: _sc, ...options } = row
  const stored: StoredOptions = options
  return {
    id,
    queue,
    func,
    args,
    kwargs,
    options: JSON.stringify(stored),
    anchorAt: rule.anchor,
    repeat: rule.repeat,
    untilAt: rule.until,
    interval: rule.interval,
    between: rule.between,
    weekdays: rule.weekdays,
    cron: rule.cron,
    tz: rule.tz,
    nextK: first?.k ?? null,
    nextRunAt: first?.at ?? null,
  }
}

/** Writes a resolved schedule. @internal */
export async function insertSchedule(ctx: QueryContext, row: ScheduleInsertRow, serial: boolean): Promise<Schedule> {
  return new Schedule(await scheduleInsert(ctx, { row, serial }))
}

/** The job a fired run enqueues: the stored call and options, a fresh id. @internal */
export function jobRowForRun(row: ScheduleRow): JobInsertRow {
  const options = row.options as unknown as StoredOptions
  return {
    ...options,
    priority: options.priority ?? 0, // schedules stored before priorities existed
    id: newJobId(),
    queue: row.queue,
    func: row.func,
    args: JSON.stringify(row.args),
    kwargs: JSON.stringify(row.kwargs),
    meta: typeof options.meta === 'string' ? options.meta : JSON.stringify(options.meta ?? {}),
    dependsOn: [],
    scheduledFor: null,
    flowId: null,
    scheduleId: row.id,
  }
}
