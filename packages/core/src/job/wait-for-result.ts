import pg from 'pg'
import type { JobRow } from '../db/tables.js'
import { doneChannel } from '../db/channels.js'
import { inClientTransaction } from '../db/transaction.js'
import { JobFailed, NoSuchJob, WaitTimeout } from '../errors.js'
import { jobFetch } from './job-read.js'
import { ENDED_STATUSES, type JobHome, type JobStatus } from './job-data.js'

/** Options of `job.waitForResult`. */
export interface WaitOptions {
  /** Seconds to wait before WaitTimeout. @defaultValue no limit */
  timeout?: number
  /**
   * Seconds between checks when no notification comes (LISTEN unavailable behind a pooler).
   * @defaultValue 5
   */
  recheckInterval?: number
}

/**
 * Waits for a job to end, holding one pooled connection that LISTENs for completions; returns the
 * final row, or null for a job deleted as it finished (resultTtl 0). The connection is released,
 * with UNLISTEN, before returning.
 */
export async function waitForJob(home: JobHome, id: string, resultTtl: number, options: WaitOptions): Promise<JobRow | null> {
  const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout * 1000
  const recheckMs = (options.recheckInterval ?? 5) * 1000
  const client = await home.pool.connect()
  let wake: (() => void) | undefined
  const onNotification = (msg: pg.Notification) => {
    if (msg.channel !== channel) return
    const payload = msg.payload ?? '*'
    if (payload === '*' || payload.split(',').includes(id)) wake?.()
  }
  const channel = doneChannel(home.ctx.schema)
  client.on('notification', onNotification)
  // A connection that dies while we wait must not be an uncaught 'error' (pg-pool does not listen on
  // a client it lent): wake, so the next query fails with it and the wait ends with that error.
  const onLost = () => wake?.()
  client.on('error', onLost)
  let registered: { ctid: string } | undefined
  try {
    await client.query(`listen ${pg.escapeIdentifier(channel)}`)
    registered = await registerWaiter(client, home.ctx.schema, id)
    for (;;) {
      // Checked after LISTEN and the registration, so an end committed before them is read here and
      // one after them is notified.
      const row = await jobFetch(home.ctx, { id })
      if (!row) {
        // resultTtl 0 deletes a job as it finishes: gone means done, with no result kept.
        if (resultTtl === 0) return null
        throw new NoSuchJob(id, 'it was deleted or its TTL expired while waiting')
      }
      if (ENDED_STATUSES.includes(row.status as JobStatus)) {
        if (row.status === 'finished') return row
        throw new JobFailed(id, row.status, row.exc_info)
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new WaitTimeout(id, options.timeout ?? 0, row.status)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, recheckMs))
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      wake = undefined
    }
  } finally {
    client.off('notification', onNotification)
    try {
      if (registered) {
        await client.query(`delete from ${pg.escapeIdentifier(home.ctx.schema)}.job_waiter where job_id = $1 and ctid = $2::tid`, [
          id,
          registered.ctid,
        ])
      }
      await client.query(`unlisten ${pg.escapeIdentifier(channel)}`)
      client.off('error', onLost)
      client.release()
    } catch (err) {
      client.off('error', onLost)
      client.release(err as Error)
    }
  }
}

/**
 * Lists this wait in job_waiter, so completions of the job notify the done channel (they notify
 * only for jobs someone waits for). The job's row is read FOR SHARE in the same transaction: a
 * completion already writing it finishes first (the caller's read then sees the end), and one that
 * has not locked it yet waits for this commit, and so sees the waiter (see job_waited_ids).
 */
async function registerWaiter(client: pg.PoolClient, schema: string, id: string): Promise<{ ctid: string }> {
  const s = pg.escapeIdentifier(schema)
  return inClientTransaction(client, async () => {
    const { rows } = await client.query<{ ctid: string }>(`insert into ${s}.job_waiter (job_id) values ($1) returning ctid::text`, [id])
    await client.query(`select 1 from ${s}.job where id = $1 for share`, [id])
    return rows[0]!
  })
}
