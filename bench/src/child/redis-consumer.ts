import { Worker } from 'bullmq'
import { benchTask } from '../tasks/noop.js'
import type { Consumer } from './consumer.js'
import type { Ledger } from './ledger.js'
import type { ChildConfig, RedisChildConfig, TaskPayload } from './protocol.js'

const FAILED_KEEP_SECONDS = 365 * 24 * 3600 // pq keeps failed jobs a year by default

/**
 * A BullMQ worker in this process, built but not consuming until `start`. Completed jobs are kept
 * `keepCompletedSeconds` (pq keeps results 500 s), so both backends store the same history.
 */
export async function redisConsumer(config: RedisChildConfig & ChildConfig, book: Ledger): Promise<Consumer> {
  const worker = new Worker<TaskPayload>(
    config.queue,
    async (job) => {
      await benchTask(String(job.id), job.data)
    },
    {
      connection: { url: config.redisUrl },
      prefix: config.prefix,
      concurrency: config.concurrency,
      autorun: false,
      removeOnComplete: { age: config.keepCompletedSeconds },
      removeOnFail: { age: FAILED_KEEP_SECONDS },
    },
  )
  worker.on('completed', (job) => book.ended(true, job.data.seq ?? null))
  worker.on('failed', (job) => book.ended(false, job?.data.seq ?? null))
  // BullMQ reports transient trouble (a reconnect) here and carries on; stderr reaches the bench's
  // failure report if the run goes wrong.
  worker.on('error', (err) => console.error(`bullmq worker error: ${err.message}`))
  let lastError: Error | null = null
  await worker.waitUntilReady()
  let running: Promise<void> | null = null
  return {
    async start() {
      running = worker.run()
      // run() only settles at close; surface an early failure (lost connection) instead of hanging.
      running.catch((err: unknown) => {
        lastError = err instanceof Error ? err : new Error(String(err))
      })
    },
    async stop() {
      await worker.close()
      await running
      if (lastError) throw lastError
    },
  }
}
