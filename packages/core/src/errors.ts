/**
 * pq's typed errors. Every error a caller may branch on has a stable `code` that survives logs,
 * `--json` output and duplicate installs; `instanceof` works in-process. Messages are one line:
 * what was wrong, what was found, what would be right.
 */
export type PqErrorCode =
  | 'INVALID_QUEUE_NAME'
  | 'INVALID_ARGUMENT'
  | 'INVALID_OPTION'
  | 'INVALID_DURATION'
  | 'INVALID_DATE'
  | 'INVALID_SCHEDULE'
  | 'NO_SUCH_JOB'
  | 'NO_SUCH_SCHEDULE'
  | 'NO_SUCH_FLOW'
  | 'NO_SUCH_WORKER'
  | 'DUPLICATE_JOB_ID'
  | 'DEPENDENCY_CYCLE'
  | 'UNKNOWN_FUNCTION'
  | 'SCHEMA_TOO_NEW'
  | 'SCHEMA_NOT_MIGRATED'
  | 'INVALID_STATE'
  | 'JOB_TIMEOUT'
  | 'WAIT_TIMEOUT'
  | 'JOB_FAILED'
  | 'USAGE'
  | 'CONNECTION'

/** Base class of every error pq raises on purpose. */
export abstract class PqError extends Error {
  abstract readonly code: PqErrorCode
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
  }
}

/** A queue name that pq refuses: empty, longer than 63 bytes, holding control characters, or reserved. */
export class InvalidQueueName extends PqError {
  readonly code = 'INVALID_QUEUE_NAME'
  constructor(
    readonly queueName: string,
    problem: string,
  ) {
    super(`invalid queue name ${JSON.stringify(queueName)}: ${problem}; use 1-63 bytes with no control characters, other than "failed"`)
  }
}

/** A job argument (or kwarg, result, meta value) that JSON cannot carry. */
export class InvalidArgument extends PqError {
  readonly code = 'INVALID_ARGUMENT'
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path} cannot be stored as JSON: ${problem}; pass strings, numbers, booleans, null, arrays and plain objects`)
  }
}

/** An option with a value of the wrong kind or out of range. */
export class InvalidOption extends PqError {
  readonly code = 'INVALID_OPTION'
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message)
  }
}

/** A duration pq cannot read ('h12', '10k', 0, a negative). */
export class InvalidDuration extends PqError {
  readonly code = 'INVALID_DURATION'
  constructor(
    readonly option: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`invalid ${option} ${JSON.stringify(value)}: ${expected}`)
  }
}

/** A date or time pq cannot read. */
export class InvalidDate extends PqError {
  readonly code = 'INVALID_DATE'
  constructor(
    readonly option: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`invalid ${option} ${JSON.stringify(value)}: ${expected}`)
  }
}

/** A schedule rule pq refuses (window, weekdays, cron, repeat, interval). */
export class InvalidSchedule extends PqError {
  readonly code = 'INVALID_SCHEDULE'
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message)
  }
}

/** No job with that id exists (any more). */
export class NoSuchJob extends PqError {
  readonly code = 'NO_SUCH_JOB'
  constructor(
    readonly jobId: string,
    detail?: string,
  ) {
    super(`no job with id ${JSON.stringify(jobId)}${detail ? `: ${detail}` : ''}`)
  }
}

/** No schedule with that id exists. */
export class NoSuchSchedule extends PqError {
  readonly code = 'NO_SUCH_SCHEDULE'
  constructor(readonly scheduleId: string) {
    super(`no schedule with id ${JSON.stringify(scheduleId)}; pq-schedule --list shows them`)
  }
}

/** No flow with that id exists. */
export class NoSuchFlow extends PqError {
  readonly code = 'NO_SUCH_FLOW'
  constructor(readonly flowId: string) {
    super(`no flow with id ${JSON.stringify(flowId)}`)
  }
}

/** No live worker with that name. */
export class NoSuchWorker extends PqError {
  readonly code = 'NO_SUCH_WORKER'
  constructor(
    readonly workerName: string,
    known: readonly string[],
  ) {
    super(`no live worker named ${JSON.stringify(workerName)}${known.length ? ` (live: ${known.join(', ')})` : ' (none is running)'}`)
  }
}

/** A caller-chosen job id that is already taken. */
export class DuplicateJobId extends PqError {
  readonly code = 'DUPLICATE_JOB_ID'
  constructor(
    readonly jobId: string,
    options?: ErrorOptions,
  ) {
    super(`a job with id ${JSON.stringify(jobId)} already exists; choose another jobId or omit it for a generated one`, options)
  }
}

/** Dependencies that would form a cycle. */
export class DependencyCycle extends PqError {
  readonly code = 'DEPENDENCY_CYCLE'
  constructor(readonly jobIds: readonly string[]) {
    super(`dependencies form a cycle: ${jobIds.join(' -> ')}; a job cannot wait on itself`)
  }
}

/** A 'module.export' name that does not resolve to a function. */
export class UnknownFunction extends PqError {
  readonly code = 'UNKNOWN_FUNCTION'
  constructor(
    readonly func: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`unknown function ${JSON.stringify(func)}: ${detail}`, options)
  }
}

/** The database's schema was migrated by a newer pq than this one. */
export class SchemaTooNew extends PqError {
  readonly code = 'SCHEMA_TOO_NEW'
  constructor(
    readonly schema: string,
    readonly databaseVersion: number,
    readonly codeVersion: number,
  ) {
    super(`schema "${schema}" is at migration ${databaseVersion} but this pq knows only up to ${codeVersion}; upgrade pq on this machine`)
  }
}

/**
 * The schema has pending migrations, or no pq tables at all. `databaseVersion` is null when it could
 * not be read (the failing statement ran on a caller's connection, inside its transaction).
 */
export class SchemaNotMigrated extends PqError {
  readonly code = 'SCHEMA_NOT_MIGRATED'
  constructor(
    readonly schema: string,
    readonly databaseVersion: number | null,
    readonly codeVersion: number,
    options?: ErrorOptions,
  ) {
    const state =
      databaseVersion === 0
        ? 'has no pq tables'
        : databaseVersion === null
          ? 'lacks pq tables'
          : `is at migration ${databaseVersion} of ${codeVersion}`
    super(`schema "${schema}" ${state}; run pq-migrate --schema ${schema} (or call migrate()) to install them`, options)
  }
}

/** An action that the job's (or worker's) current state does not allow. */
export class InvalidState extends PqError {
  readonly code = 'INVALID_STATE'
  constructor(message: string) {
    super(message)
  }
}

/** A job ran past its timeout. Stored in excInfo; the task's AbortSignal fires with it. */
export class JobTimeout extends PqError {
  readonly code = 'JOB_TIMEOUT'
  constructor(
    readonly jobId: string,
    readonly timeoutSeconds: number,
  ) {
    super(`job ${jobId} exceeded its timeout of ${timeoutSeconds}s`)
  }
}

/** `waitForResult` gave up before the job ended. */
export class WaitTimeout extends PqError {
  readonly code = 'WAIT_TIMEOUT'
  constructor(
    readonly jobId: string,
    readonly timeoutSeconds: number,
    readonly status: string,
  ) {
    super(`job ${jobId} is still ${status} after waiting ${timeoutSeconds}s`)
  }
}

/** `waitForResult` saw the job fail (or get canceled). */
export class JobFailed extends PqError {
  readonly code = 'JOB_FAILED'
  constructor(
    readonly jobId: string,
    readonly status: string,
    readonly excInfo: string | null,
  ) {
    super(`job ${jobId} ${status}${excInfo ? `: ${excInfo.split('\n')[0]}` : ''}`)
  }
}

/** Bad command-line usage (unknown flag, missing argument). */
export class UsageError extends PqError {
  readonly code = 'USAGE'
  constructor(message: string) {
    super(message)
  }
}

/** The database could not be reached. */
export class ConnectionError extends PqError {
  readonly code = 'CONNECTION'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
  }
}

/** Up to `shown` items, then "and 9,990 more": long lists in messages stay one readable line. */
export function listSome(items: readonly string[], shown = 5): string {
  const head = items.slice(0, shown).join(', ')
  return items.length > shown ? `${head} and ${(items.length - shown).toLocaleString('en-US')} more` : head
}

/** True for any pq error. */
export const isPqError = (err: unknown): err is PqError => err instanceof PqError
