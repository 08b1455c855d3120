import { jobMarkBegan, type QueryContext } from '@pq/core/internal'

/** How long a job runs before it is marked as begun: jobs shorter than this cost no write. */
export const MARK_AFTER_MS = 250

/**
 * Marks claimed jobs as really begun, in batches. A claim marks jobs started, including the ones
 * claimed ahead that wait in the worker's buffer; if the worker is lost, rescue must not fail those
 * as "worker lost" when they never ran. So a job that is still running MARK_AFTER_MS after it
 * started is marked `began` (one statement for all such jobs); a job that ends sooner needs no mark,
 * and if the worker dies before its outcome is recorded it simply runs again elsewhere.
 */
export class BeganMarks {
  readonly #ctx: QueryContext
  readonly #worker: string
  readonly #onError: (err: unknown) => void
  readonly #pending = new Map<string, number>()
  /** Jobs whose mark was sent (or is being sent): their outcome must be committed before their slot frees. */
  readonly #marked = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #writing: Promise<void> | undefined

  constructor(ctx: QueryContext, worker: string, onError: (err: unknown) => void) {
    this.#ctx = ctx
    this.#worker = worker
    this.#onError = onError
  }

  /** A job started running now. */
  started(id: string): void {
    this.#pending.set(id, Date.now())
    this.#schedule()
  }

  /**
   * Marks a job begun before it runs (one statement): for a job a lost worker held. If the mark
   * cannot be written the job runs all the same, falling back to the batched mark.
   */
  async markNow(id: string): Promise<void> {
    this.#marked.add(id)
    try {
      await jobMarkBegan(this.#ctx, { ids: [id], worker: this.#worker })
    } catch (err) {
      this.#onError(err)
      this.started(id)
    }
  }

  /**
   * Whether a begun mark was written or sent for the job. Such a job, once it ends, must keep its
   * slot until its outcome is committed: were the next job to kill the worker first, rescue would
   * count that death against the marked job although it finished.
   */
  wasMarked(id: string): boolean {
    return this.#marked.has(id)
  }

  /** A job's run ended and its outcome is handled: forget it. */
  ended(id: string): void {
    this.#pending.delete(id)
    this.#marked.delete(id)
  }

  /** Stops the timer and waits for a write in flight. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#writing
  }

  #schedule(): void {
    if (this.#timer || this.#pending.size === 0) return
    const oldest = Math.min(...this.#pending.values())
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined
        this.#writing = this.#mark().finally(() => {
          this.#writing = undefined
          this.#schedule()
        })
      },
      Math.max(0, oldest + MARK_AFTER_MS - Date.now()),
    )
    this.#timer.unref()
  }

  async #mark(): Promise<void> {
    const due = Date.now() - MARK_AFTER_MS
    const ids = [...this.#pending].filter(([, at]) => at <= due).map(([id]) => id)
    if (ids.length === 0) return
    // Counted as marked before the write: a job that ends while the mark is in flight may be marked.
    for (const id of ids) this.#marked.add(id)
    try {
      await jobMarkBegan(this.#ctx, { ids, worker: this.#worker })
      for (const id of ids) this.#pending.delete(id)
    } catch (err) {
      this.#onError(err) // kept pending: the next round tries again
    }
  }
}
