import type { QueryContext, JobOutcome } from '@pq/core/internal'
import { jobFinishMany, jobReleaseDependents, jobCancelDependents, isRetryablePgError, isDataError } from '@pq/core/internal'
import { retryWithBackoff } from '../backoff.js'

/** `resolve(false)`: the statement found no started row of ours for the job (deleted, or rescued by another worker). */
interface Pending {
  outcome: JobOutcome
  serial: boolean
  resolve: (recorded: boolean) => void
  reject: (err: unknown) => void
}

const MAX_BATCH = 500
/**
 * Batches being written at once. Outcomes that arrive meanwhile wait for one to end and go in the
 * next: without a bound, a worker at concurrency 1 flushed a few outcomes every event-loop turn,
 * each batch a commit of its own.
 */
const MAX_IN_FLIGHT = 2
const RETRY_LIMIT = 5
const UNRECORDABLE = "pq could not record this job's outcome"

/**
 * Batches job outcomes into one statement each: outcomes reported in the same turn of the event loop
 * (or up to 500) go together. A batch that hits a deadlock or serialization failure is retried at
 * once, one that finds the database unreachable after a backoff: never dropped. Dependents of ended
 * jobs are released in a second statement, only when some have them.
 */
export class Completions {
  readonly #ctx: QueryContext
  readonly #worker: string
  #pending: Pending[] = []
  #scheduled = false
  #inFlight = new Set<Promise<void>>()
  #closing = false
  readonly #recording = new Set<string>()
  /** Called when recorded outcomes made jobs runnable (dependents released, a serial lock freed). */
  readonly #onReleased: (count: number) => void
  readonly #onTrouble: (message: string) => void

  constructor(ctx: QueryContext, worker: string, onReleased: (count: number) => void, onTrouble: (message: string) => void) {
    this.#ctx = ctx
    this.#worker = worker
    this.#onReleased = onReleased
    this.#onTrouble = onTrouble
  }

  /** Ids of the jobs whose outcome is pending or being written. */
  get recording(): IterableIterator<string> {
    return this.#recording.keys()
  }

  /**
   * Queues an outcome; resolves once it is written: true when it was recorded, false when the job's
   * row was no longer this worker's started job (deleted meanwhile, or taken back by another worker).
   */
  add(outcome: JobOutcome, serial: boolean): Promise<boolean> {
    const id = outcome.id
    this.#recording.add(id)
    return new Promise<boolean>((resolve, reject) => {
      this.#pending.push({
        outcome,
        serial,
        resolve: (recorded) => {
          this.#recording.delete(id)
          resolve(recorded)
        },
        reject: (err) => {
          this.#recording.delete(id)
          reject(err instanceof Error ? err : new Error(String(err)))
        },
      })
      this.#schedule()
    })
  }

  /** Flushes now when a batch is full, else on the next turn; either only while a batch may start. */
  #schedule(): void {
    if (this.#pending.length === 0 || this.#inFlight.size >= MAX_IN_FLIGHT) return
    if (this.#pending.length >= MAX_BATCH) this.#flushNow()
    else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => {
        this.#scheduled = false
        if (this.#inFlight.size < MAX_IN_FLIGHT) this.#flushNow()
      })
    }
  }

  /** Records everything pending and waits for batches in flight. */
  async flush(): Promise<void> {
    while (this.#pending.length) this.#flushNow()
    await Promise.all([...this.#inFlight])
  }

  #flushNow(): void {
    const batch = this.#pending.splice(0, MAX_BATCH)
    if (batch.length === 0) return
    const run = this.#record(batch).finally(() => {
      this.#inFlight.delete(run)
      this.#schedule()
    })
    this.#inFlight.add(run)
  }

  /** After this, a batch that cannot be written is given up after one try (the worker is stopping). */
  close(): void {
    this.#closing = true
  }

  /**
   * Writes a batch. An unreachable or failing database is retried with backoff until it comes back
   * (the jobs keep their slots meanwhile, so the worker claims nothing more): giving up would leave
   * them started while this worker lives. A batch refused for its data is recorded one outcome at a
   * time, so one bad outcome cannot hold the others back.
   */
  async #record(batch: Pending[]): Promise<void> {
    let touched: Set<string>
    try {
      touched = await retryWithBackoff(() => this.#write(batch), {
        firstMs: 250,
        maxMs: 5000,
        retryIf: (err) => !isDataError(err) && !this.#closing,
        onRetry: (err, ms) =>
          this.#onTrouble(
            `recording ${batch.length} outcome${batch.length === 1 ? '' : 's'} failed, retrying in ${ms} ms: ${err instanceof Error ? err.message : String(err)}`,
          ),
      })
    } catch (err) {
      if (isDataError(err)) return this.#recordEach(batch, err)
      for (const b of batch) b.reject(err)
      return
    }
    for (const b of batch) b.resolve(touched.has(b.outcome.id))
  }

  /** One outcome at a time; one Postgres still refuses is recorded as a failure saying why. */
  async #recordEach(batch: Pending[], err: unknown): Promise<void> {
    if (batch.length > 1) {
      for (const b of batch) await this.#record([b])
      return
    }
    const b = batch[0]!
    if (b.outcome.status === 'failed' && b.outcome.result === null && b.outcome.excInfo?.startsWith(UNRECORDABLE)) {
      b.reject(err)
      return
    }
    const reason = err instanceof Error ? err.message : String(err)
    Object.assign(b.outcome, { status: 'failed', result: null, retryAt: null, excInfo: `${UNRECORDABLE}: ${reason}` })
    await this.#record([b])
  }

  async #write(batch: Pending[]): Promise<Set<string>> {
    const rows = await this.#withRetry(() =>
      jobFinishMany(this.#ctx, {
        worker: this.#worker,
        outcomes: batch.map((b) => b.outcome),
        releaseSerial: batch.some((b) => b.serial),
      }),
    )
    // A freed serial lock or a job put back makes work this worker may claim: wake it even when no
    // notification can (poll mode).
    if (batch.some((b) => b.serial || b.outcome.status === 'queued')) this.#onReleased(0)
    const withDependents = rows.filter((r) => r.has_dependents)
    const ended = withDependents.filter((r) => r.status === 'finished' || r.status === 'failed').map((r) => r.id)
    const canceled = withDependents.filter((r) => r.status === 'canceled').map((r) => r.id)
    if (ended.length) {
      const released = await this.#withRetry(() => jobReleaseDependents(this.#ctx, { ids: ended }))
      if (released.length) this.#onReleased(released.length)
    }
    if (canceled.length) await jobCancelDependents(this.#ctx, { ids: canceled, reason: 'a dependency was discarded', now: null })
    return new Set(rows.map((r) => r.id))
  }

  /** A deadlock or serialization failure is retried at once, a few times, with a short backoff. */
  async #withRetry<T>(fn: () => Promise<T>): Promise<T> {
    return retryWithBackoff(fn, { firstMs: 5, maxMs: 40, attempts: RETRY_LIMIT, retryIf: isRetryablePgError })
  }
}
