import { clockMs } from '../harness/clock.js'
import type { TaskPayload } from './protocol.js'

/**
 * What one worker process ran: every job id its task saw (for the exactly-once check), how many jobs
 * the backend reported finished or failed, and when the first started and the last finished.
 *
 * The task records starts; the process's worker events record ends. Kept on globalThis so the task
 * module, loaded by pq's worker through its own import, reaches the same ledger as the process.
 */
export class Ledger {
  readonly ids: string[] = []
  finished = 0
  failed = 0
  firstStartedAt: number | null = null
  lastFinishedAt: number | null = null
  /** Called on each start, with the producer's sequence number when the payload had one. */
  onStarted: ((seq: number | null, at: number) => void) | null = null
  onFinished: ((seq: number | null, at: number) => void) | null = null

  /** Records that the task began running job `id`; returns the stamp. */
  started(id: string, payload: TaskPayload): number {
    const at = clockMs()
    this.ids.push(id)
    this.firstStartedAt ??= at
    this.onStarted?.(payload.seq ?? null, at)
    return at
  }

  /** Records that the backend marked a job finished (`ok`) or failed. */
  ended(ok: boolean, seq: number | null): void {
    const at = clockMs()
    if (ok) this.finished++
    else this.failed++
    this.lastFinishedAt = at
    this.onFinished?.(seq, at)
  }
}

const KEY = Symbol.for('pq-bench.ledger')

/** This process's ledger. */
export function ledger(): Ledger {
  const holder = globalThis as { [KEY]?: Ledger }
  return (holder[KEY] ??= new Ledger())
}
