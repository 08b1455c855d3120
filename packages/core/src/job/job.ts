import type { DateTime } from 'luxon'
import type { Json, JobRow, JobRowJson } from '../db/tables.js'
import { InvalidState, NoSuchJob } from '../errors.js'
import {
  jobFields,
  describeCall,
  toDateTime,
  type AttemptRecord,
  type JobData,
  type JobHome,
  type JobStatus,
  type RetryPolicy,
} from './job-data.js'

type TimeColumn = 'created_at' | 'enqueued_at' | 'scheduled_for' | 'discard_at' | 'started_at' | 'ended_at' | 'expires_at'
import { jobFetch } from './job-read.js'
import { jobCancel, jobRequeue, jobSaveMeta } from './job-operations.js'
import { deleteJobs } from './job-delete.js'
import { toJson } from './json-value.js'
import { waitForJob, type WaitOptions } from './wait-for-result.js'

// Set by Job's static block, which can read its private row.
let jobRowOf: (job: Job<unknown>) => JobRow | JobRowJson

/**
 * A job as read from the database, with the actions RQ's Job has. Its fields are a snapshot:
 * `refresh()` reads them again.
 */
export class Job<Result = Json> implements Omit<JobData, 'result'> {
  id!: string
  func!: string
  args!: Json[]
  kwargs!: Record<string, Json>
  origin!: string
  status!: JobStatus
  /** Lower runs first within its queue, before enqueue order (0 by default). */
  priority!: number
  description!: string | null
  timeout!: number | null
  resultTtl!: number
  failureTtl!: number
  ttl!: number | null
  meta!: Record<string, Json>
  /** The task's return value as JSON gave it back (typed for tasks declared in PqTasks); null until it finished. */
  result!: Result | null
  excInfo!: string | null
  retry!: RetryPolicy
  attempts!: number
  onSuccess!: string | null
  onFailure!: string | null
  allowDependencyFailure!: boolean
  isolate!: boolean | null
  worker!: string | null
  flowId!: string | null
  scheduleId!: string | null
  /** Ids of the jobs this one waits (or waited) for; empty on a worker's claimed copy (refresh() reads it). */
  dependsOn: string[] = []
  /** Failed attempts, oldest first: error class, message, stack, when and which worker (the last ATTEMPT_HISTORY_SIZE, 10). */
  attemptHistory!: AttemptRecord[]
  readonly #home: JobHome
  /** The row the fields were last read from (see jobRow). */
  #row!: JobRow | JobRowJson
  /** The run's abort state: its signal is made only when the task reads it (see `signal`). */
  #run: { controller?: AbortController; aborted?: { reason: unknown } } | undefined
  /** A signal set by hand (`job.signal = ...`), which wins over the run's. */
  #signal: AbortSignal | undefined

  /** Aborted when a running job reaches its timeout or its worker stops at once; undefined outside a run. */
  get signal(): AbortSignal | undefined {
    if (this.#signal || !this.#run) return this.#signal
    // Made on first read: an AbortController per job cost more than a no-op job's whole run.
    if (!this.#run.controller) {
      this.#run.controller = new AbortController()
      if (this.#run.aborted) this.#run.controller.abort(this.#run.aborted.reason)
    }
    return this.#run.controller.signal
  }
  set signal(value: AbortSignal | undefined) {
    this.#signal = value
  }

  /**
   * @internal Starts a run: from now on `signal` is the run's. Returns how to abort it, which works
   * whether or not the task has read the signal yet (it then reads an aborted one).
   */
  beginRun(): (reason: unknown) => void {
    const run: { controller?: AbortController; aborted?: { reason: unknown } } = {}
    this.#run = run
    return (reason) => {
      if (run.aborted) return
      run.aborted = { reason }
      run.controller?.abort(reason)
    }
  }

  /** @internal Jobs come from a Queue (enqueue, fetchJob), not from this constructor. */
  constructor(home: JobHome, row: JobRow | JobRowJson) {
    this.#home = home
    this.#assign(row)
  }

  #assign(row: JobRow | JobRowJson): void {
    this.#row = row
    const data = jobFields(row)
    // A row from a statement that does not read the edges (requeue, claim) keeps what we knew.
    const known = this.dependsOn ?? []
    Object.assign(this, data)
    if (!('depends_on' in row)) this.dependsOn = known
    this.#dates = undefined
  }

  // Timestamps become luxon DateTimes when first read: a worker or a bulk enqueue builds thousands of
  // Jobs whose times nobody looks at, and eight DateTimes per job were most of that cost.
  #dates: Map<TimeColumn, DateTime | null> | undefined

  #date(column: TimeColumn): DateTime | null {
    const value = this.#row[column]
    if (value === null) return null
    this.#dates ??= new Map()
    if (!this.#dates.has(column)) this.#dates.set(column, toDateTime(value))
    return this.#dates.get(column)!
  }

  get createdAt(): DateTime {
    return this.#date('created_at')!
  }
  get enqueuedAt(): DateTime | null {
    return this.#date('enqueued_at')
  }
  get scheduledFor(): DateTime | null {
    return this.#date('scheduled_for')
  }
  get discardAt(): DateTime | null {
    return this.#date('discard_at')
  }
  get startedAt(): DateTime | null {
    return this.#date('started_at')
  }
  get endedAt(): DateTime | null {
    return this.#date('ended_at')
  }
  get expiresAt(): DateTime | null {
    return this.#date('expires_at')
  }

  /** The queue the job belongs to (RQ's `origin`). */
  get queue(): string {
    return this.origin
  }

  /** The call, as RQ prints it: `tasks.add(1, 2)`. */
  get callString(): string {
    return describeCall(this.func, this.args, this.kwargs)
  }

  get isQueued(): boolean {
    return this.status === 'queued'
  }
  get isDeferred(): boolean {
    return this.status === 'deferred'
  }
  get isScheduled(): boolean {
    return this.status === 'scheduled'
  }
  get isStarted(): boolean {
    return this.status === 'started'
  }
  get isFinished(): boolean {
    return this.status === 'finished'
  }
  get isFailed(): boolean {
    return this.status === 'failed'
  }
  get isCanceled(): boolean {
    return this.status === 'canceled'
  }

  /** Reads the job's row again. Throws NoSuchJob when it is gone (deleted, or swept after its TTL). */
  async refresh(): Promise<this> {
    const row = await jobFetch(this.#home.ctx, { id: this.id })
    if (!row) throw new NoSuchJob(this.id, 'it was deleted or its TTL expired')
    this.#assign(row)
    return this
  }

  /** Writes `meta` (e.g. progress) to the database; a running job's way to report. */
  async saveMeta(): Promise<void> {
    const meta = JSON.stringify(toJson('meta', this.meta))
    if (!(await jobSaveMeta(this.#home.ctx, { id: this.id, meta }))) throw new NoSuchJob(this.id)
  }

  /** Cancels a waiting job (and jobs that depend on it). A started or ended job is refused. */
  async cancel(): Promise<void> {
    const canceled = await jobCancel(this.#home.ctx, { ids: [this.id] })
    if (!canceled.includes(this.id)) {
      await this.refresh()
      throw new InvalidState(`job ${this.id} is ${this.status}; only queued, deferred or scheduled jobs can be canceled`)
    }
    await this.refresh()
  }

  /** Puts a failed (or stopped, or canceled) job back at the end of its queue. */
  async requeue(): Promise<this> {
    const rows = await jobRequeue(this.#home.ctx, { ids: [this.id] })
    if (rows.length === 0) {
      await this.refresh()
      throw new InvalidState(`job ${this.id} is ${this.status}; only failed, stopped or canceled jobs can be requeued`)
    }
    this.#assign(rows[0]!)
    return this
  }

  /**
   * Deletes the job; jobs that depend on it are canceled. Throws NoSuchJob when it is already gone,
   * InvalidState while it is running (it must end first).
   */
  async delete(): Promise<void> {
    const { refused } = await deleteJobs(this.#home.ctx, [this.id])
    if (refused[0]) throw refused[0]
  }

  /**
   * Waits until the job ends and returns its result; throws JobFailed if it failed or was canceled,
   * WaitTimeout after `timeout` seconds. Wakes on NOTIFY (one connection held while waiting).
   */
  async waitForResult(options: WaitOptions = {}): Promise<Result> {
    const row = await waitForJob(this.#home, this.id, this.resultTtl, options)
    if (row) this.#assign(row)
    return (row ? this.result : null) as Result
  }

  static {
    jobRowOf = (job) => job.#row
  }
}

/**
 * The row a job was last read from (claim, fetch, refresh), as the database gave it: how an isolated
 * run hands the job to its thread, which builds its own Job from it. Fields changed on the object
 * since (meta not yet saved) are not in it. @internal
 */
export const jobRow = (job: Job<unknown>): JobRow | JobRowJson => jobRowOf(job)
