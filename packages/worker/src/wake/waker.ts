import type { DateTime } from 'luxon'

/** Why a wait ended. */
export type WakeReason = 'notified' | 'reconnected' | 'deadline' | 'aborted'

/**
 * The one seam the loop asks when to look for work again; it never knows whether LISTEN works.
 * A notification arriving while nobody waits is latched, so the next wait returns at once.
 */
export interface Waker {
  wait(until: DateTime, signal: AbortSignal): Promise<WakeReason>
  readonly mode: 'listen' | 'poll'
  close(): Promise<void>
}

/**
 * A latch-and-waiters helper the wakers share: `fire` resolves the current waiter or, with none,
 * remembers one pending wake-up.
 */
export class WakeLatch {
  #pending: WakeReason | undefined
  #resolve: ((reason: WakeReason) => void) | undefined

  fire(reason: WakeReason): void {
    if (this.#resolve) {
      const resolve = this.#resolve
      this.#resolve = undefined
      resolve(reason)
    } else if (this.#pending !== 'reconnected') {
      this.#pending = reason
    }
  }

  wait(until: DateTime, signal: AbortSignal): Promise<WakeReason> {
    if (signal.aborted) return Promise.resolve('aborted')
    if (this.#pending) {
      const reason = this.#pending
      this.#pending = undefined
      return Promise.resolve(reason)
    }
    const ms = Math.max(0, until.toMillis() - Date.now())
    return new Promise<WakeReason>((resolve) => {
      const done = (reason: WakeReason) => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        if (this.#resolve === done) this.#resolve = undefined
        resolve(reason)
      }
      const onAbort = () => done('aborted')
      const timer = setTimeout(() => done('deadline'), ms)
      signal.addEventListener('abort', onAbort, { once: true })
      this.#resolve = done
    })
  }
}
