import { closePools, type Job } from '@pq/core'
import { Worker } from '@pq/worker'
import type { Consumer } from './consumer.js'
import type { Ledger } from './ledger.js'
import type { ChildConfig, PqChildConfig, TaskPayload } from './protocol.js'

/**
 * pq's worker in this process, built but not consuming until `start`. Its 'job:finished' comes after
 * the outcome's batch is committed, so the ledger's end stamps are when pq recorded the jobs done.
 */
export async function pqConsumer(config: PqChildConfig & ChildConfig, book: Ledger): Promise<Consumer> {
  const worker = new Worker({
    queues: [config.queue],
    connection: config.databaseUrl,
    schema: config.schema,
    concurrency: config.concurrency,
    burst: false,
    path: config.tasksPath,
  })
  worker.on('job:finished', (job) => book.ended(true, seqOf(job)))
  worker.on('job:failed', (job) => book.ended(false, seqOf(job)))
  worker.on('job:retried', (job) => book.ended(false, seqOf(job)))
  worker.on('warning', (message) => console.error(`pq worker warning: ${message}`))
  let working: Promise<void> | null = null
  return {
    async start() {
      const started = new Promise<void>((resolve) => worker.once('worker:started', () => resolve()))
      working = worker.work()
      await Promise.race([
        started,
        working.then(() => {
          throw new Error('the pq worker stopped before it started')
        }),
      ])
    },
    async stop() {
      await worker.stop()
      await working
      await closePools()
    },
  }
}

function seqOf(job: Job): number | null {
  const payload = job.args[0] as Partial<TaskPayload> | undefined
  return typeof payload?.seq === 'number' ? payload.seq : null
}
