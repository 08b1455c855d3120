import { describe, expect, it, afterEach } from '@jest/globals'
import { Queue, type Job } from '@pq/core'
import { useTestDatabase, FIXTURES_PATH, nextEvent, captureIo } from '@pq/core/testing'
import { Worker } from './worker.js'
import { cliLogger } from './cli/worker-log.js'

const db = useTestDatabase()
const workers: Worker[] = []
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('now')))
})

function startWorker(queue: string): { worker: Worker; log: () => string } {
  const io = captureIo()
  const logger = cliLogger(io, { level: 'normal', json: false })
  const worker = new Worker({ queues: [queue], connection: db.url, path: FIXTURES_PATH, migrate: false, heartbeatTimeout: 5, logger })
  workers.push(worker)
  void worker.work()
  return { worker, log: () => io.stdout() + io.stderr() }
}

describe('a running job whose row vanished', () => {
  it('logs the truth when a running job\'s row vanished: nothing recorded, no "Job OK"', async () => {
    const q = new Queue('del-gone', { connection: db.pool })
    const { worker, log } = startWorker('del-gone')
    const started = nextEvent<Job>(worker, 'job:started', { timeoutMs: 15_000 })
    const job = await q.enqueue('fixtures.sleep', 800)
    await started
    const vanished = nextEvent<Job>(worker, 'job:vanished', { timeoutMs: 15_000 })
    await db.pool.query('delete from pq.job where id = $1', [job.id])
    expect((await vanished).id).toBe(job.id)
    expect(log()).toContain(
      `del-gone: Job ${job.id} ended (finished) but its row was gone (deleted, or recovered by another worker); nothing was recorded`,
    )
    expect(log()).not.toMatch(/Job OK|Result is kept/)
  })
})
