import type { DateTime } from 'luxon'
import type { Json, JobRow } from '../db/tables.js'
import { InvalidState, NoSuchJob } from '../errors.js'
import { jobDataFromRow, describeCall, type JobData, type JobHome, type JobStatus, type RetryPolicy } from './job.js'
import { jobCancel, jobDelete, jobFetch, jobRequeue, jobSaveMeta } from './job-queries.js'
import { toJson } from './json-value.js'
import { waitForJob, type WaitOptions } from './wait-for-result.js'

/**
 * A job as read from the database, with the actions RQ's Job has. Its fields are a snapshot:
 * `refresh()` reads them again.
 */
export class Job<Result = Json> implements JobData {
  id!: string
  func!: string
  args!: Json[]
  kwargs!: Record<string, Json>
  origin!: string
  status!: JobStatus
  description!: string | null
  timeout!: number | null
  resultTtl!: number
  failureTtl!: number
  ttl!: number | null
  meta!: Record<string, Json>
  result!: Json | null
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
  createdAt!: DateTime
  enqueuedAt!: DateTime | null
  scheduledFor!: DateTime | null
  discardAt!: DateTime | null
  startedAt!: DateTime | null
  endedAt!: DateTime | null
  expiresAt!: DateTime | null
  /** Aborted when a running job reaches its timeout or its worker stops at once; undefined outside a run. */
  signal: AbortSignal | undefined
  readonly #home: JobHome

  /** @internal Jobs come from a Queue (enqueue, fetchJob), not from this constructor. */
  constructor(home: JobHome, row: JobRow) {
    this.#home = home
    this.#assign(row)
  }

  #assign(row: JobRow): void {
    Object.assign(this, jobDataFromRow(row))
  }

  /** The queue the job belongs to (RQ's `origin`). */
  get queue(): string {
    return this.origin
  }

  /** The call, as RQ prints it: `tasks.add(1, 2)`. */
  get callString(): string {
    return describeCall(this.func, this.args, this.kwargs)
  }

  get isQueued(): boolean { return this.status === 'queued' }
  get isDeferred(): boolean { return this.status === 'deferred' }
  get isScheduled(): boolean { return this.status === 'scheduled' }
  get isStarted(): boolean { return this.status === 'started' }
  get isFinished(): boolean { return this.status === 'finished' }
  get isFailed(): boolean { return this.status === 'failed' }
  get isCanceled(): boolean { return this.status === 'canceled' }

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
    if (!await jobSaveMeta(this.#home.ctx, { id: this.id, meta })) throw new NoSuchJob(this.id)
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

  /** Deletes the job; jobs that depend on it are canceled. */
  async delete(): Promise<void> {
    await jobDelete(this.#home.ctx, { ids: [this.id] })
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
}
