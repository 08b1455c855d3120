import type { TaskArgs } from '../tasks/task-registry.js'
import { DateTime, Duration } from 'luxon'
import { InvalidOption, InvalidDate } from '../errors.js'
import { toSeconds, toTtlSeconds, toWholeSeconds, MAX_TIMEOUT_SECONDS, MAX_SECONDS, type DurationInput } from '../config/duration.js'
import type { Json } from '../db/tables.js'
import { toJson, isPlainJson, checkText, checkJsonSize } from './json-value.js'
import type { JobInsertRow } from './job-insert.js'
import { functionName } from '../tasks/function-name.js'
import { newJobId } from './job-id.js'

/** A job, or its id, wherever a dependency is named. */
export type JobRef = string | { readonly id: string }

/** RQ's enqueue options, camelCased. Every field is optional. */
export interface EnqueueOptions {
  /** Seconds (or '1h', '30m', '15s') the job may run before it is failed and stopped. @defaultValue the queue's timeout, else the worker's (600 s) */
  timeout?: DurationInput
  /** How long a finished job's row and result are kept: seconds; 0 deletes it at once; -1 keeps it. @defaultValue 500 */
  resultTtl?: DurationInput
  /** How long a failed job is kept. @defaultValue one year */
  failureTtl?: DurationInput
  /** Discard the job (canceled, not run) if it has not started within this time. @defaultValue none */
  ttl?: DurationInput
  /** Your own id for the job; a duplicate is refused with DuplicateJobId. @defaultValue a new UUID (version 7: time-ordered) */
  jobId?: string
  /** Put the job before every other waiting job of the queue (of its priority). @defaultValue false */
  atFront?: boolean
  /**
   * Lower runs first: a queue's jobs are taken by priority, then in enqueue order. A whole number
   * from -2147483648 to 2147483647. @defaultValue the queue's priority, else 0
   */
  priority?: number
  /** Free text shown by pq-stats, the admin and the dashboard. @defaultValue the call, as `fn(args)` */
  description?: string
  /** Jobs that must finish first; the job is `deferred` until they have. @defaultValue none */
  dependsOn?: JobRef | readonly JobRef[]
  /** Run even if a dependency failed (after its retries). @defaultValue false */
  allowDependencyFailure?: boolean
  /** Free-form JSON data stored with the job; a running job can update it (progress). @defaultValue {} */
  meta?: Record<string, unknown>
  /** Retry policy: up to `max` more attempts, waiting `intervals` seconds (the last repeats). @defaultValue no retry */
  retry?: { max: number; intervals?: number | readonly number[] }
  /** 'module.fn' called with (job, result) after success. @defaultValue none */
  onSuccess?: string
  /** 'module.fn' called with (job, error) after a final failure. @defaultValue none */
  onFailure?: string
  /** Run in a separate thread that is killed at the timeout. @defaultValue the queue's setting, else the worker's */
  isolate?: boolean
  /** Run no earlier than this instant (status `scheduled` until then; RQ's enqueue_at). @defaultValue now */
  at?: DateTime | Date | string
  /** Run after this delay (RQ's enqueue_in). @defaultValue none */
  in?: DurationInput
}

/** One call to enqueue: the function, its arguments and options (RQ's enqueue_call). */
export interface EnqueueCall extends EnqueueOptions {
  func: string
  args?: readonly unknown[]
  kwargs?: Record<string, unknown>
}

/** An EnqueueCall whose `args` are checked against the task's parameters when `func` is declared in PqTasks. */
export type TypedEnqueueCall<N extends string> = Omit<EnqueueCall, 'func' | 'args'> & { func: N; args?: Readonly<TaskArgs<N>> }

/** Queue-level defaults that enqueue options fall back to. */
export interface QueueDefaults {
  timeout: number | null
  resultTtl: number
  failureTtl: number
  isolate: boolean | null
  priority: number
}

export const DEFAULT_RESULT_TTL = 500
/**
 * Seconds a job may run when neither it nor its queue sets a timeout (a job's `timeout` null): the
 * worker's default, which `pq-worker --default-timeout` / PQ_DEFAULT_JOB_TIMEOUT override.
 */
export const DEFAULT_JOB_TIMEOUT = 600
export const DEFAULT_FAILURE_TTL = 365 * 24 * 3600

/** The ids a dependsOn option names. */
export function dependencyIds(dependsOn: EnqueueOptions['dependsOn']): string[] {
  if (dependsOn === undefined || dependsOn === null) return []
  const list = (Array.isArray(dependsOn) ? dependsOn : [dependsOn]) as JobRef[]
  return [
    ...new Set(
      list.map((ref, i) => {
        const id = typeof ref === 'string' ? ref : ref?.id
        if (typeof id !== 'string' || id === '')
          throw new InvalidOption('dependsOn', `dependsOn[${i}] must be a job or a job id, got ${JSON.stringify(ref)}`)
        return id
      }),
    ),
  ]
}

/** The range of a job's priority (Postgres `integer`). */
export const PRIORITY_MIN = -2147483648
export const PRIORITY_MAX = 2147483647

/** Checks a priority option: a whole number in the column's range. */
export function toPriority(option: string, input: unknown): number {
  if (typeof input !== 'number' || !Number.isInteger(input) || input < PRIORITY_MIN || input > PRIORITY_MAX) {
    throw new InvalidOption(
      option,
      `invalid ${option} ${JSON.stringify(input)}: use a whole number from ${PRIORITY_MIN} to ${PRIORITY_MAX} (lower runs first; 0 is the default)`,
    )
  }
  return input
}

/**
 * Every key an EnqueueCall may have. A record typed by the interface, so the compiler refuses a
 * missing or unknown key: the interface is the one list, and this cannot drift from it.
 */
const CALL_KEYS: Record<keyof EnqueueCall, true> = {
  func: true,
  args: true,
  kwargs: true,
  timeout: true,
  resultTtl: true,
  failureTtl: true,
  ttl: true,
  jobId: true,
  atFront: true,
  priority: true,
  description: true,
  dependsOn: true,
  allowDependencyFailure: true,
  meta: true,
  retry: true,
  onSuccess: true,
  onFailure: true,
  isolate: true,
  at: true,
  in: true,
}
const KNOWN_OPTIONS: ReadonlySet<string> = new Set(Object.keys(CALL_KEYS))

/**
 * Validates one call and converts it to an insert row, before any I/O: a bad option or an argument
 * JSON cannot carry throws here, so nothing is written.
 */
export function resolveEnqueueCall(
  queue: string,
  call: EnqueueCall,
  defaults: QueueDefaults,
  now: DateTime | (() => DateTime) = utcNow,
): JobInsertRow {
  for (const key of Object.keys(call)) {
    if (!KNOWN_OPTIONS.has(key))
      throw new InvalidOption(key, `unknown enqueue option "${key}"; known: ${[...KNOWN_OPTIONS].filter((k) => k !== 'func').join(', ')}`)
  }
  const func = functionName(call.func)
  const argsInput = call.args ?? []
  if (!Array.isArray(argsInput)) throw new InvalidOption('args', `args must be an array, got ${typeof argsInput}`)
  // Arguments that are JSON already, as most are, are taken as they are; else each is converted or refused by its path.
  const args = isPlainJson(argsInput) ? (argsInput as Json[]) : argsInput.map((a, i) => toJson(`args[${i}]`, a))
  const kwargsInput = call.kwargs ?? {}
  if (typeof kwargsInput !== 'object' || kwargsInput === null || Array.isArray(kwargsInput)) {
    throw new InvalidOption('kwargs', `kwargs must be a plain object, got ${JSON.stringify(kwargsInput)}`)
  }
  const kwargs = toJson('kwargs', kwargsInput) as Record<string, Json>
  const meta = toJson('meta', call.meta ?? {})
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new InvalidOption('meta', 'meta must be a plain object')
  const id = call.jobId ?? newJobId()
  if (call.jobId !== undefined && (typeof id !== 'string' || id.length === 0 || id.length > 200 || /[\u0000-\u001f,]/.test(id))) {
    throw new InvalidOption('jobId', `invalid jobId ${JSON.stringify(id)}: use 1-200 characters, no commas or control characters`)
  }
  const retry = resolveRetry(call.retry)
  const scheduledFor = resolveRunAt(call, now)
  return {
    id,
    queue,
    func,
    args: checkJsonSize('args', JSON.stringify(args)),
    kwargs: checkJsonSize('kwargs', JSON.stringify(kwargs)),
    atFront: call.atFront === true,
    priority: call.priority === undefined ? defaults.priority : toPriority('priority', call.priority),
    description: call.description === undefined ? null : checkText('description', String(call.description), 'option'),
    timeout: call.timeout === undefined ? defaults.timeout : toSeconds('timeout', call.timeout, MAX_TIMEOUT_SECONDS),
    resultTtl: call.resultTtl === undefined ? defaults.resultTtl : toTtlSeconds('resultTtl', call.resultTtl),
    failureTtl: call.failureTtl === undefined ? defaults.failureTtl : toTtlSeconds('failureTtl', call.failureTtl),
    ttl: call.ttl === undefined ? null : toWholeSeconds('ttl', call.ttl),
    meta: checkJsonSize('meta', JSON.stringify(meta)),
    retryMax: retry.max,
    retryIntervals: retry.intervals,
    onSuccess: call.onSuccess === undefined ? null : functionName(call.onSuccess, 'onSuccess'),
    onFailure: call.onFailure === undefined ? null : functionName(call.onFailure, 'onFailure'),
    allowDependencyFailure: call.allowDependencyFailure === true,
    isolate: call.isolate ?? defaults.isolate,
    scheduledFor,
    flowId: null,
    scheduleId: null,
    dependsOn: dependencyIds(call.dependsOn),
  }
}

function resolveRetry(retry: EnqueueOptions['retry']): { max: number; intervals: number[] } {
  if (retry === undefined) return { max: 0, intervals: [] }
  if (typeof retry !== 'object' || retry === null || !Number.isInteger(retry.max) || retry.max < 0 || retry.max > MAX_SECONDS) {
    throw new InvalidOption(
      'retry.max',
      `retry must look like { max: 3, intervals: [10, 60] } with max a whole number from 0 to ${MAX_SECONDS}, got ${JSON.stringify(retry)}`,
    )
  }
  const raw = retry.intervals === undefined ? [] : typeof retry.intervals === 'number' ? [retry.intervals] : [...retry.intervals]
  for (const s of raw) {
    if (!Number.isInteger(s) || s < 0 || s > MAX_SECONDS)
      throw new InvalidOption(
        'retry.intervals',
        `retry.intervals must be whole seconds from 0 to ${MAX_SECONDS}, got ${JSON.stringify(retry.intervals)}`,
      )
  }
  return { max: retry.max, intervals: raw }
}

/** The current instant, made only when a call needs it (`in`): luxon's DateTime.utc() was half of what a plain enqueue spent before its query. */
const utcNow = (): DateTime => DateTime.utc()

function resolveRunAt(call: EnqueueOptions, now: DateTime | (() => DateTime)): DateTime | null {
  if (call.at !== undefined && call.in !== undefined) throw new InvalidOption('at', 'give either `at` or `in`, not both')
  if (call.in !== undefined)
    return (typeof now === 'function' ? now() : now).plus(Duration.fromObject({ seconds: toSeconds('in', call.in) }))
  if (call.at === undefined) return null
  const at = call.at
  const dt = DateTime.isDateTime(at)
    ? at
    : at instanceof Date
      ? DateTime.fromJSDate(at)
      : typeof at === 'string'
        ? DateTime.fromISO(at, { zone: 'utc' })
        : null
  if (!dt || !dt.isValid)
    throw new InvalidDate('at', at, 'use a luxon DateTime, a Date, or an ISO 8601 string such as 2030-01-01T09:00:00Z')
  return dt.toUTC()
}
