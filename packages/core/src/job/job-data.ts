/**
 * Glossary.
 * - job: one call of a function by name ('module.export') with JSON arguments, stored as a row.
 * - queue: a named line of jobs; workers take them in order (atFront first, then FIFO).
 * - function name: RQ's import path, camelCased: 'emails.welcome.send' is export `send` of
 *   emails/welcome.{ts,js} under the tasks root.
 * - worker: a process that claims queued jobs, runs them, and records their outcome.
 * - flow: jobs run in sequence, each depending on the one before.
 * - schedule: a rule that enqueues a job at given times (once, on an interval, or on a cron).
 * - waker: how a waiting worker learns of new work (LISTEN/NOTIFY, else polling).
 */
import { DateTime } from 'luxon'
import type { Json, JobRow, JobRowJson } from '../db/tables.js'
import type { QueryContext } from '../db/query-context.js'
import type pg from 'pg'

/** Every state a job can be in. */
export const JOB_STATUSES = ['queued', 'deferred', 'scheduled', 'started', 'finished', 'failed', 'stopped', 'canceled'] as const
/** A job's state: waiting (`queued`, `deferred` on dependencies, `scheduled` for a time), `started`, or ended. */
export type JobStatus = (typeof JOB_STATUSES)[number]

/** States after which a job will not run again unless requeued. */
export const ENDED_STATUSES: readonly JobStatus[] = ['finished', 'failed', 'stopped', 'canceled']

/** States of a job that has not started yet and may still run (cancel and empty act on these). */
export const WAITING_STATUSES: readonly JobStatus[] = ['queued', 'deferred', 'scheduled']

/** Ended states a job can be requeued from (everything ended but finished). */
export const REQUEUE_STATUSES: readonly JobStatus[] = ['failed', 'stopped', 'canceled']

/** How many failed attempts a job keeps in its history (`attemptHistory`): the last 10. */
export const ATTEMPT_HISTORY_SIZE = 10

/** One failed attempt of a job: its error, when it failed, and on which worker. */
export interface AttemptRecord {
  /** 1 for the first run. */
  attempt: number
  /** The error's class (`TypeError`, `JobTimeout`, `WorkerLost`); null for a thrown non-Error. */
  errorClass: string | null
  message: string | null
  /** The stack as the worker formatted it (the same text as `excInfo` had then). */
  stack: string | null
  at: DateTime
  worker: string | null
}

/** A job's retry policy: `max` further attempts after the first failure, waiting `intervals` seconds between them. */
export interface RetryPolicy {
  max: number
  intervals: number[]
}

/** What a Job needs to act on itself: the pool-backed context of the queue that made or fetched it. */
export interface JobHome {
  readonly ctx: QueryContext
  readonly pool: pg.Pool
}

/**
 * The fields an enqueue sets, with the same name and type whether written (JobInsertRow) or read
 * back (JobData): declared once here, so a new enqueue-time column is one field for both.
 */
export interface JobEnqueueFields {
  id: string
  func: string
  /** Lower runs first within its queue, before enqueue order (0 by default). */
  priority: number
  description: string | null
  timeout: number | null
  resultTtl: number
  failureTtl: number
  ttl: number | null
  onSuccess: string | null
  onFailure: string | null
  allowDependencyFailure: boolean
  isolate: boolean | null
  flowId: string | null
  scheduleId: string | null
  scheduledFor: DateTime | null
  /**
   * Ids of the jobs this one waits (or waited) for. Read with the job (fetchJob, refresh, enqueue);
   * a worker's claimed copy leaves it empty, to keep the claim one cheap statement.
   */
  dependsOn: string[]
}

/** A job's data as read from the database, camelCased, with luxon DateTimes. */
export interface JobData extends JobEnqueueFields {
  args: Json[]
  kwargs: Record<string, Json>
  origin: string
  status: JobStatus
  meta: Record<string, Json>
  result: Json | null
  excInfo: string | null
  retry: RetryPolicy
  attempts: number
  worker: string | null
  createdAt: DateTime
  enqueuedAt: DateTime | null
  discardAt: DateTime | null
  startedAt: DateTime | null
  endedAt: DateTime | null
  expiresAt: DateTime | null
  /** Failed attempts, oldest first, the last ATTEMPT_HISTORY_SIZE; empty when none failed. */
  attemptHistory: AttemptRecord[]
}

/** A timestamp column's value as a UTC DateTime. @internal */
export const toDateTime = (d: Date | string | null): DateTime | null =>
  d === null ? null : (typeof d === 'string' ? DateTime.fromISO(d) : DateTime.fromJSDate(d)).toUTC()

/** A job's timestamps, the fields `jobFields` leaves out. */
type JobTimes = 'createdAt' | 'enqueuedAt' | 'scheduledFor' | 'discardAt' | 'startedAt' | 'endedAt' | 'expiresAt'

/** Maps a job row to its domain data. */
export function jobDataFromRow(row: JobRow): JobData {
  const data = jobFields(row) as JobData
  data.createdAt = toDateTime(row.created_at)!
  data.enqueuedAt = toDateTime(row.enqueued_at)
  data.scheduledFor = toDateTime(row.scheduled_for)
  data.discardAt = toDateTime(row.discard_at)
  data.startedAt = toDateTime(row.started_at)
  data.endedAt = toDateTime(row.ended_at)
  data.expiresAt = toDateTime(row.expires_at)
  return data
}

/** Everything but the timestamps, for callers that convert those lazily (the Job class). @internal */
export function jobFields(row: JobRow | JobRowJson): Omit<JobData, JobTimes> {
  return {
    id: row.id,
    func: row.func,
    args: (row.args as Json[]) ?? [],
    kwargs: (row.kwargs as Record<string, Json>) ?? {},
    origin: row.queue,
    status: row.status as JobStatus,
    priority: row.priority ?? 0,
    description: row.description,
    timeout: row.timeout,
    resultTtl: row.result_ttl,
    failureTtl: row.failure_ttl,
    ttl: row.ttl,
    meta: (row.meta as Record<string, Json>) ?? {},
    result: row.result,
    excInfo: row.exc_info,
    retry: { max: row.retry_max, intervals: row.retry_intervals ?? [] },
    attempts: row.attempts,
    onSuccess: row.on_success,
    onFailure: row.on_failure,
    allowDependencyFailure: row.allow_dependency_failure,
    isolate: row.isolate,
    worker: row.worker,
    flowId: row.flow_id,
    scheduleId: row.schedule_id,
    dependsOn: (row as JobRow & { depends_on?: string[] }).depends_on ?? [],
    attemptHistory: row.attempt_log
      ? row.attempt_log.map((e) => ({
          attempt: e.attempt,
          errorClass: e.class,
          message: e.message,
          stack: e.stack,
          at: toDateTime(e.at)!,
          worker: e.worker,
        }))
      : [],
  }
}

/** Renders a call as RQ prints it: `tasks.add(1, 2, name="x")`. Long argument lists are cut. */
export function describeCall(func: string, args: readonly Json[], kwargs: Record<string, Json>): string {
  const parts = [...args.map((a) => JSON.stringify(a)), ...Object.entries(kwargs).map(([k, v]) => `${k}=${JSON.stringify(v)}`)]
  const text = `${func}(${parts.join(', ')})`
  return text.length > 200 ? `${text.slice(0, 197)}...)` : text
}
