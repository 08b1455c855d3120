import type { DateTime } from 'luxon'
import { WakeLatch, type WakeReason, type Waker } from './waker.js'

/**
 * Wakes only on deadlines: for PgBouncer in transaction mode or a Postgres without LISTEN. The loop
 * passes a short poll interval as the deadline in this mode. `poke` lets in-process events (a job
 * finishing that released dependents) wake it too.
 */
export class PollWaker implements Waker {
  readonly mode = 'poll' as const
  readonly #latch = new WakeLatch()

  wait(until: DateTime, signal: AbortSignal): Promise<WakeReason> {
    return this.#latch.wait(until, signal)
  }

  poke(): void {
    this.#latch.fire('notified')
  }

  async close(): Promise<void> {}
}
