import { jobClaim, jobClaimFrom, jobSerialQueuesReady, type QueryContext, type ClaimedJobRow } from '@pq/core/internal'
import type { ResolvedWorkerOptions } from './worker-options.js'

/** Jobs shorter than this on average are claimed a round ahead (see `ahead`). */
const CLAIM_AHEAD_BELOW_MS = 50
/** How much work (ms per slot) a claim ahead aims to hold. */
const AHEAD_WORK_MS = 50
/** The most jobs claimed ahead: bounds what a kill -9 can strand and what a claim locks at once. */
const MAX_AHEAD = 500

/**
 * How a worker claims: from its queues in priority order, one statement for a list of queues, and
 * how far ahead of its free slots, judged by how long recent jobs ran.
 */
export class Claimer {
  readonly #ctx: QueryContext
  readonly #options: ResolvedWorkerOptions
  /** Recent job run time (ms, moving average). Starts above the bar: no claim ahead until jobs prove short. */
  #recentRunMs = 2 * CLAIM_AHEAD_BELOW_MS
  /**
   * The one queue this worker serves proved serial (a claimed job held its lock). Its claims then go
   * to jobClaim at once: the lean one-queue claim would only report that the queue is serial and hand
   * over, a second round trip on every claim. A queue never turns plain again (serial is only ever
   * set), and jobClaim serves a plain queue too.
   */
  #oneQueueIsSerial = false

  constructor(ctx: QueryContext, options: ResolvedWorkerOptions) {
    this.#ctx = ctx
    this.#options = options
  }

  /**
   * How many jobs to claim beyond the free slots. Short jobs: a round of `concurrency` ahead, so the
   * next jobs are at hand when these end (claims then cost a fraction of a round trip per job). Long
   * jobs: none, since a job claimed ahead waits as started behind them while another worker may
   * idle, and a kill -9 would fail it as "worker lost" although it never ran.
   */
  ahead(): number {
    if (this.#recentRunMs >= CLAIM_AHEAD_BELOW_MS) return 0
    // Enough in hand for about AHEAD_WORK_MS of work, so a claim's round trip hides behind the runs:
    // a round of `concurrency` for jobs near the bar, up to MAX_AHEAD for no-op-fast ones.
    const perSlot = Math.floor(AHEAD_WORK_MS / Math.max(this.#recentRunMs, 0.01))
    return Math.min(MAX_AHEAD, Math.max(1, perSlot) * this.#options.concurrency)
  }

  /** Notes how long a job ran. */
  noteRun(seconds: number): void {
    this.#recentRunMs = this.#recentRunMs * 0.8 + seconds * 1000 * 0.2
  }

  /**
   * Claims up to `limit` jobs: a later queue only gets the slots the earlier ones leave. Rows claimed
   * before a failing statement are returned with the error, so none is lost.
   */
  async claim(limit: number): Promise<{ rows: ClaimedJobRow[]; error?: unknown }> {
    const { queues, name: worker } = this.#options
    const rows: ClaimedJobRow[] = []
    try {
      if (queues.length === 1 && this.#oneQueueIsSerial) {
        rows.push(...(await jobClaim(this.#ctx, { queue: queues[0]!, limit, worker })))
      } else if (queues.length) {
        rows.push(...(await jobClaimFrom(this.#ctx, { queues, limit, worker })))
        if (queues.length === 1 && rows.some((row) => row.serial_claim)) this.#oneQueueIsSerial = true
      } else {
        rows.push(...(await jobClaim(this.#ctx, { queue: null, limit, worker })))
        // The global claim skips serial queues: claim those that can give a job, one job each.
        if (rows.length < limit) {
          for (const queue of await jobSerialQueuesReady(this.#ctx, { limit: limit - rows.length })) {
            rows.push(...(await jobClaim(this.#ctx, { queue, limit: 1, worker })))
          }
        }
      }
      return { rows }
    } catch (error) {
      return { rows, error }
    }
  }
}
