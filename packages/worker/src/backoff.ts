/**
 * Capped exponential backoff, the worker's one way to wait before trying again: recording outcomes
 * while the database is away (run/completions.ts) and rebuilding the LISTEN connection
 * (wake/listen-waker.ts).
 */

/** How delays grow: from `firstMs`, doubling per attempt, never above `maxMs`. */
export interface BackoffPolicy {
  readonly firstMs: number
  readonly maxMs: number
  /**
   * Picks each delay at random in the upper half of its step, so workers that lost the same server
   * do not all come back in the same millisecond.
   * @defaultValue false
   */
  readonly jitter?: boolean
}

/** The delays of one run of retries; `reset()` after a success starts again from `firstMs`. */
export class Backoff {
  readonly #policy: BackoffPolicy
  #attempt = 0

  constructor(policy: BackoffPolicy) {
    this.#policy = policy
  }

  /** The delay before the next try, in milliseconds. */
  next(): number {
    const { firstMs, maxMs, jitter = false } = this.#policy
    const step = Math.min(maxMs, firstMs * 2 ** this.#attempt)
    this.#attempt++
    return jitter ? step / 2 + Math.random() * (step / 2) : step
  }

  reset(): void {
    this.#attempt = 0
  }
}

/** When {@link retryWithBackoff} tries again. */
export interface RetryOptions extends BackoffPolicy {
  /** Whether this error is worth another try; the first one that is not is thrown. */
  readonly retryIf: (err: unknown) => boolean
  /**
   * Tries in all, the first included; then the last error is thrown.
   * @defaultValue Infinity
   */
  readonly attempts?: number
  /** Told of each error about to be retried and the wait before the retry. */
  readonly onRetry?: (err: unknown, delayMs: number) => void
}

/** Runs `fn` until it resolves, waiting a growing delay after each error `retryIf` accepts. */
export async function retryWithBackoff<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const backoff = new Backoff(options)
  const attempts = options.attempts ?? Infinity
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (attempt >= attempts || !options.retryIf(err)) throw err
      const delay = backoff.next()
      options.onRetry?.(err, delay)
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}
