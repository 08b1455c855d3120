import { EventEmitter } from 'node:events'
import { run, type Job, type Runner, type WorkerEvents } from 'graphile-worker'
import pg from 'pg'
import { GRAPHILE_TASK, quietGraphileLogger } from '../backends/graphile.js'
import { benchTask } from '../tasks/noop.js'
import type { Consumer } from './consumer.js'
import type { Ledger } from './ledger.js'
import type { ChildConfig, GraphileChildConfig, TaskPayload } from './protocol.js'

/**
 * graphile-worker tuned for throughput as its performance docs advise: a local queue of 500 jobs
 * (claimed in one query, handed to the concurrency slots without a round trip each) and completions
 * and failures batched with no delay (a batch flushes on the next tick). Everything else is its
 * defaults. Exported so bench/README.md and the report can name them.
 */
export const GRAPHILE_TUNING = { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } as const

/**
 * A graphile-worker runner in this process. Its pool is connected at `ready`; `start` runs the
 * runner and resolves once it is LISTENing. graphile-worker emits no event after a completion batch
 * commits, so the ledger's end stamp is 'job:success' (the task returned): that flatters it by at
 * most one completion round trip against pq, whose end stamp is after the commit.
 */
export async function graphileConsumer(config: GraphileChildConfig & ChildConfig, book: Ledger): Promise<Consumer> {
  // Its advice: at least concurrency + 2 connections, and 10.
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: Math.max(10, config.concurrency + 2) })
  pool.on('error', (err) => console.error(`graphile-worker pool error: ${err.message}`))
  const clients = await Promise.all(Array.from({ length: 2 }, () => pool.connect()))
  for (const client of clients) client.release()
  const events: WorkerEvents = new EventEmitter() as WorkerEvents
  events.on('job:success', ({ job }) => book.ended(true, seqOf(job)))
  events.on('job:error', ({ job }) => book.ended(false, seqOf(job)))
  let runner: Runner | null = null
  return {
    async start() {
      const listening = new Promise<void>((resolve) => events.once('pool:listen:success', () => resolve()))
      runner = await run({
        pgPool: pool,
        schema: config.schema,
        concurrency: config.concurrency,
        noHandleSignals: true,
        logger: quietGraphileLogger,
        events,
        taskList: {
          [GRAPHILE_TASK]: async (payload, helpers) => {
            await benchTask(String(helpers.job.id), payload as TaskPayload)
          },
        },
        preset: { worker: { ...GRAPHILE_TUNING, localQueue: { ...GRAPHILE_TUNING.localQueue } } },
      })
      await listening
    },
    async stop() {
      if (runner) {
        await runner.stop()
        await runner.promise
      }
      await pool.end()
    },
  }
}

function seqOf(job: Job): number | null {
  const payload = job.payload as Partial<TaskPayload> | null
  return typeof payload?.seq === 'number' ? payload.seq : null
}
