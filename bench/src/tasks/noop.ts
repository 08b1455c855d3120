import { getCurrentJob } from '@pq/core'
import { delay } from '../harness/clock.js'
import { ledger } from '../child/ledger.js'
import type { TaskPayload } from '../child/protocol.js'

/**
 * The benchmark task, for both backends: record that job `id` started, then sleep `sleepMs` (the
 * slow-task case) or return at once. Nothing else, so the figures measure the queue.
 */
export async function benchTask(id: string, payload: TaskPayload): Promise<void> {
  ledger().started(id, payload)
  if (payload.sleepMs > 0) await delay(payload.sleepMs)
}

/** pq's entry: `'noop.run'` under this folder. The job id comes from the running job. */
export async function run(payload: TaskPayload): Promise<void> {
  const job = getCurrentJob()
  if (!job) throw new Error('noop.run must run inside a pq worker')
  await benchTask(job.id, payload)
}
