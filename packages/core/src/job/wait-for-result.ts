import pg from 'pg'
import type { JobRow } from '../db/tables.js'
import { doneChannel } from '../db/channels.js'
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
    registered = await listenAndRegister(client, home.ctx.schema, channel, id)
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
      // One round trip: the waiter's row goes (completions stop notifying for it) and the channel is left.
      const leave = registered
        ? `delete from ${pg.escapeIdentifier(home.ctx.schema)}.job_waiter where job_id = ${pg.escapeLiteral(id)} and ctid = ${pg.escapeLiteral(registered.ctid)}::tid; `
        : ''
      await client.query(`${leave}unlisten ${pg.escapeIdentifier(channel)}`)
      client.off('error', onLost)
      client.release()
    } catch (err) {
      client.off('error', onLost)
      client.release(err as Error)
    }
  }
}

/**
 * LISTENs on the done channel and lists this wait in job_waiter, so completions of the job notify
 * it (they notify only for jobs someone waits for), in one round trip: one simple-protocol query,
 * so one implicit transaction (the id is inlined as an escaped literal, as that protocol takes no
 * parameters). The job's row is read FOR SHARE in that transaction: a completion already writing
 * it finishes first (the caller's read then sees the end), and one that has not locked it yet waits
 * for this commit, and so sees the waiter (see job_waited_ids) and notifies a channel already
 * listened to. Five round trips before (LISTEN, BEGIN, insert, lock, COMMIT).
 */
async function listenAndRegister(client: pg.PoolClient, schema: string, channel: string, id: string): Promise<{ ctid: string }> {
  const s = pg.escapeIdentifier(schema)
  const job = pg.escapeLiteral(id)
  const results = (await client.query(`listen ${pg.escapeIdentifier(channel)};
    with waiter as (insert into ${s}.job_waiter (job_id) values (${job}) returning ctid::text as ctid)
    select waiter.ctid from waiter left join lateral (select 1 from ${s}.job where id = ${job} for share) locked on true`)) as unknown as pg.QueryResult<{
    ctid: string
  }>[]
  return results[results.length - 1]!.rows[0]!
}
