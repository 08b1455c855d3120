import { DateTime } from 'luxon'
import type { QueryContext } from '../db/query-context.js'
import { queryContext } from '../db/query-context.js'
import { inTransaction } from '../db/transaction.js'
import { jobInsertMany } from '../job/job-insert.js'
import { nextRun } from './schedule-rules.js'
import { scheduleLockDue, scheduleAdvance, scheduleNextDue } from './schedule-queries.js'
import { ruleFromRow, jobRowForRun } from './schedule.js'

const FIRE_BATCH = 50

/**
 * Fires due schedules: each due run becomes one queued job, exactly once however many workers call
 * this at the same moment (the rows are locked SKIP LOCKED and advanced in the same transaction as
 * the job insert). A schedule that was due long ago fires once (one catch-up run for all the slots
 * it missed, not a burst), then moves to its next slot after now, on its anchor's grid; only runs
 * that happened count toward `repeat`. Returns how many jobs it enqueued. `at` stands in for
 * the database clock in tests.
 */
export async function fireDueSchedules(
  ctx: QueryContext,
  pool: { connect(): Promise<import('pg').PoolClient> },
  at: DateTime | null = null,
): Promise<number> {
  let fired = 0
  for (;;) {
    const batch = await inTransaction(pool, async (client) => {
      const tx = queryContext(client, ctx.schema)
      const due = await scheduleLockDue(tx, { limit: FIRE_BATCH, now: at })
      if (due.length > 0) {
        const now = at ?? DateTime.utc()
        const rows = due.map(jobRowForRun)
        await jobInsertMany(tx, { rows, queues: [...new Set(due.map((d) => d.queue))].map((name) => ({ name, serial: false })) })
        for (let i = 0; i < due.length; i++) {
          const schedule = due[i]!
          // This run is the schedule's run_count + 1st: repeat counts runs that happened, not slots.
          const next = nextRun(
            ruleFromRow(schedule),
            { k: schedule.next_k, at: DateTime.fromJSDate(schedule.next_run_at!).toUTC() },
            now,
            schedule.run_count + 1,
          )
          await scheduleAdvance(tx, { id: schedule.id, jobId: rows[i]!.id, nextK: next?.k ?? null, nextRunAt: next?.at ?? null, now: at })
        }
      }
      return due.length
    })
    fired += batch
    if (batch < FIRE_BATCH) return fired
  }
}

/** When the earliest live schedule is due, or null. */
export const nextScheduleDue = (ctx: QueryContext): Promise<Date | null> => scheduleNextDue(ctx)
