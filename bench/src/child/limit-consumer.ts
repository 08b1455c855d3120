import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { limitChannel, limitClaim, limitDelete, limitRelease, type LimitJob } from '../backends/limit-queries.js'
import { benchTask } from '../tasks/noop.js'
import type { Consumer } from './consumer.js'
import type { Ledger } from './ledger.js'
import type { ChildConfig, LimitChildConfig, TaskPayload } from './protocol.js'

/** Jobs per claim: the batch the minimal loop is defined by. */
export const LIMIT_CLAIM = 500
/** A claim that found nothing is retried this often even without a notification (one could be missed). */
const POLL_MS = 1000

/**
 * The minimal SQL claim loop's worker: three connections (LISTEN, claim, delete) so a claim, a delete
 * batch and a wake-up can all be in flight at once. It claims LIMIT_CLAIM jobs whenever its buffer
 * holds no more than `concurrency` (so the next batch arrives before the slots run dry), runs them
 * `concurrency` at a time, and deletes each batch of finished ids with one statement; a job counts as
 * finished in the ledger once its delete has committed. A notification claims at once.
 */
export async function limitConsumer(config: LimitChildConfig & ChildConfig, book: Ledger): Promise<Consumer> {
  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: config.databaseUrl })
    await client.connect()
    return client
  }
  const [listener, claimer, finisher] = await Promise.all([connect(), connect(), connect()])
  const worker = `limit-${config.index}-${randomBytes(3).toString('hex')}`
  const buffer: LimitJob[] = []
  const done: string[] = []
  let running = 0
  let claiming = false
  let flushing: Promise<void> | null = null
  let idle = false
  let wokenWhileClaiming = false
  let consuming = false
  let failure: Error | null = null
  let poll: NodeJS.Timeout | null = null
  let drained: (() => void) | null = null

  const fail = (err: unknown): void => {
    failure ??= err instanceof Error ? err : new Error(String(err))
    console.error(`limit worker: ${failure.message}`)
    drained?.() // a stop waiting on this worker returns, and reports the failure
  }

  const claim = (): void => {
    if (claiming || !consuming) return
    claiming = true
    wokenWhileClaiming = false
    limitClaim(claimer, config.schema, LIMIT_CLAIM, worker).then((jobs) => {
      claiming = false
      buffer.push(...jobs)
      idle = jobs.length === 0 && !wokenWhileClaiming
      pump()
    }, fail)
  }

  const flush = (): void => {
    if (flushing || done.length === 0) return
    const batch = done.splice(0)
    flushing = limitDelete(finisher, config.schema, batch).then(() => {
      for (let i = 0; i < batch.length; i++) book.ended(true, null)
      flushing = null
      flush()
      settle()
    }, fail)
  }

  const runOne = (job: LimitJob): void => {
    running++
    benchTask(job.id, job.payload as TaskPayload)
      .then(
        () => {
          done.push(job.id)
        },
        (err: unknown) => {
          console.error(`limit task failed: ${err instanceof Error ? err.message : String(err)}`)
          book.ended(false, null) // its row stays claimed: the run reports the failure
        },
      )
      .finally(() => {
        running--
        flush()
        pump()
        settle()
      })
  }

  const pump = (): void => {
    while (consuming && running < config.concurrency && buffer.length > 0) runOne(buffer.shift()!)
    if (consuming && !idle && buffer.length <= config.concurrency) claim()
  }

  const settle = (): void => {
    if (drained && running === 0 && done.length === 0 && !flushing) drained()
  }

  listener.on('notification', () => {
    idle = false
    if (claiming) wokenWhileClaiming = true
    else pump()
  })
  await listener.query(`listen ${listener.escapeIdentifier(limitChannel(config.schema))}`)

  return {
    async start() {
      consuming = true
      poll = setInterval(() => {
        if (idle) {
          idle = false
          pump()
        }
      }, POLL_MS)
      pump()
    },
    async stop() {
      consuming = false
      if (poll) clearInterval(poll)
      while (claiming && !failure) await new Promise((resolve) => setTimeout(resolve, 5)) // a failed claim never clears it
      await new Promise<void>((resolve) => {
        drained = resolve
        settle()
      })
      if (buffer.length > 0)
        await limitRelease(
          claimer,
          config.schema,
          buffer.splice(0).map((j) => j.id),
        )
      await Promise.all([listener.end(), claimer.end(), finisher.end()])
      if (failure) throw failure
    },
  }
}
