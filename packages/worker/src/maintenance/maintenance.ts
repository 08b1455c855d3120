import type pg from 'pg'
import type { QueryContext, JobRescueOwn } from '@pq/core/internal'
import {
  jobRescueLost,
  jobDiscardExpired,
  jobSweepExpired,
  jobReleaseStuckDependents,
  jobPromoteDue,
  jobNextScheduled,
  jobCancelDependents,
  queueReleaseStaleSerialLocks,
  fireDueSchedules,
  nextScheduleDue,
  maintenanceTakePass,
  jobWaiterPrune,
} from '@pq/core/internal'

const SWEEP_BATCH = 1000
const SWEEP_MAX_BATCHES = 20

/** What one maintenance pass did. */
export interface MaintenanceReport {
  rescued: { id: string; status: string; worker: string }[]
  discarded: number
  swept: number
  released: number
  /** Whether this worker ran the shared sweeps (another did within the interval otherwise). */
  sweptByThis: boolean
}

/**
 * Housekeeping. Each worker rescues lost workers' jobs (and its own orphans) on every pass: a scan
 * of the few started jobs. The sweeps (TTL, expired waiting jobs, stuck dependents, stale serial
 * locks, dead waiters) run on one worker per interval, whichever takes the pass first (see
 * maintenanceTakePass); each task is also safe with N copies at once (SKIP LOCKED, or idempotent
 * updates). Sweeps are batched so they never hold many locks long.
 */
export class Maintenance {
  readonly #ctx: QueryContext
  readonly #heartbeatTimeout: number
  readonly #pool: pg.Pool
  readonly #intervalSeconds: number

  /** `intervalSeconds`: how often the shared sweeps should run (this worker's maintenance interval). */
  constructor(ctx: QueryContext, pool: pg.Pool, heartbeatTimeout: number, intervalSeconds: number) {
    this.#ctx = ctx
    this.#pool = pool
    this.#heartbeatTimeout = heartbeatTimeout
    // A little under the interval, so that the worker whose timer fires first each round takes it.
    this.#intervalSeconds = intervalSeconds * 0.9
  }

  /**
   * Lost workers (and this worker's own started jobs it no longer holds: `own`), ttl-expired waiting
   * jobs, the TTL sweep, stuck dependents, stale serial locks.
   */
  async run(own?: JobRescueOwn): Promise<MaintenanceReport> {
    const rescued = await jobRescueLost(this.#ctx, { heartbeatTimeoutSeconds: this.#heartbeatTimeout, own })
    if (!(await maintenanceTakePass(this.#ctx, { name: 'sweep', intervalSeconds: this.#intervalSeconds }))) {
      return { rescued, discarded: 0, swept: 0, released: 0, sweptByThis: false }
    }
    const discardedIds = await jobDiscardExpired(this.#ctx, { limit: SWEEP_BATCH })
    if (discardedIds.length) await jobCancelDependents(this.#ctx, { ids: discardedIds, reason: 'a dependency was discarded', now: null })
    let swept = 0
    for (let i = 0; i < SWEEP_MAX_BATCHES; i++) {
      const n = await jobSweepExpired(this.#ctx, { limit: SWEEP_BATCH })
      swept += n
      if (n < SWEEP_BATCH) break
    }
    const released = await jobReleaseStuckDependents(this.#ctx, { limit: SWEEP_BATCH })
    await queueReleaseStaleSerialLocks(this.#ctx)
    await jobWaiterPrune(this.#ctx)
    return { rescued, discarded: discardedIds.length, swept, released, sweptByThis: true }
  }

  /** Fires what is due (scheduled jobs, then schedules); returns how many became runnable. */
  async fireDue(): Promise<number> {
    let n = 0
    for (;;) {
      const promoted = await jobPromoteDue(this.#ctx, { limit: SWEEP_BATCH })
      n += promoted
      if (promoted < SWEEP_BATCH) break
    }
    n += await fireDueSchedules(this.#ctx, this.#pool)
    return n
  }

  /** The earliest time anything timed falls due, or null. */
  async nextDue(): Promise<Date | null> {
    const times = await Promise.all([jobNextScheduled(this.#ctx), nextScheduleDue(this.#ctx)])
    const valid = times.filter((t): t is Date => t !== null)
    return valid.length ? new Date(Math.min(...valid.map((t) => t.getTime()))) : null
  }
}
