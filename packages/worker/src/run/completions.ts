import type { QueryContext, JobOutcome } from '@pq/core/internal'
import { jobFinishMany, jobReleaseDependents, jobCancelDependents, isRetryablePgError } from '@pq/core/internal'

interface Pending { outcome: JobOutcome; serial: boolean; resolve: () => void; reject: (err: unknown) => void }

const MAX_BATCH = 500
const RETRY_LIMIT = 5

/**
 * Batches job outcomes into one statement each: outcomes reported in the same turn of the event loop
 * (or up to 500) go together. A batch that hits a deadlock or serialization failure is retried, never
 * dropped; dependents of ended jobs are released in a second statement, only when some have them.
 */
export class Completions {
  readonly #ctx: QueryContext
  readonly #worker: string
  #pending: Pending[] = []
  #scheduled = false
  #inFlight = new Set<Promise<void>>()
  readonly #onReleased: (count: number) => void

  constructor(ctx: QueryContext, worker: string, onReleased: (count: number) => void) {
    this.#ctx = ctx
    this.#worker = worker
    this.#onReleased = onReleased
  }

  /** Queues an outcome; resolves once it is recorded. */
  add(outcome: JobOutcome, serial: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ outcome, serial, resolve, reject })
      if (this.#pending.length >= MAX_BATCH) this.#flushNow()
      else if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.#flushNow())
      }
    })
  }

  /** Records everything pending and waits for batches in flight. */
  async flush(): Promise<void> {
    if (this.#pending.length) this.#flushNow()
    await Promise.all([...this.#inFlight])
  }

  #flushNow(): void {
    this.#scheduled = false
    const batch = this.#pending.splice(0)
    if (batch.length === 0) return
    const run = this.#record(batch).finally(() => this.#inFlight.delete(run))
    this.#inFlight.add(run)
  }

  async #record(batch: Pending[]): Promise<void> {
    try {
      const rows = await this.#withRetry(() => jobFinishMany(this.#ctx, {
        worker: this.#worker,
        outcomes: batch.map((b) => b.outcome),
        releaseSerial: batch.some((b) => b.serial),
      }))
      const withDependents = rows.filter((r) => r.has_dependents)
      const ended = withDependents.filter((r) => r.status === 'finished' || r.status === 'failed').map((r) => r.id)
      const canceled = withDependents.filter((r) => r.status === 'canceled').map((r) => r.id)
      if (ended.length) {
        const released = await this.#withRetry(() => jobReleaseDependents(this.#ctx, { ids: ended }))
        if (released.length) this.#onReleased(released.length)
      }
      if (canceled.length) await jobCancelDependents(this.#ctx, { ids: canceled, reason: 'a dependency was discarded', now: null })
      for (const b of batch) b.resolve()
    } catch (err) {
      for (const b of batch) b.reject(err)
    }
  }

  async #withRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (err) {
        if (!isRetryablePgError(err) || attempt >= RETRY_LIMIT) throw err
        await new Promise((r) => setTimeout(r, 5 * attempt))
      }
    }
  }
}
