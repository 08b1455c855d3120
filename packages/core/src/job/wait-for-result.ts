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
  try {
    await client.query(`listen ${pg.escapeIdentifier(channel)}`)
    for (;;) {
      // Checked after LISTEN, so an end committed before it is read here and one after it is notified.
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
        wake = () => { clearTimeout(timer); resolve() }
      })
      wake = undefined
    }
  } finally {
    client.off('notification', onNotification)
    try {
      await client.query(`unlisten ${pg.escapeIdentifier(channel)}`)
      client.release()
    } catch (err) {
      client.release(err as Error)
    }
  }
}
