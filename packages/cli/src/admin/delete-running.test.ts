import { describe, expect, it, afterEach } from '@jest/globals'
import { Queue, InvalidState, NoSuchJob, type Job } from '@pq/core'
import { runCli } from '@pq/cli-kit'
import { useTestDatabase, FIXTURES_PATH, nextEvent, waitFor, runCaptured } from '@pq/core/testing'
import { Worker } from '@pq/worker'
import { adminCli } from './admin-cli.js'

const db = useTestDatabase()
const workers: Worker[] = []
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('now')))
})

function startWorker(queue: string): { worker: Worker } {
  const worker = new Worker({ queues: [queue], connection: db.url, path: FIXTURES_PATH, migrate: false, heartbeatTimeout: 5 })
  workers.push(worker)
  void worker.work()
  return { worker }
}

describe('deleting a running job', () => {
  it('is refused with one line, by the API and pq-admin, and the job still finishes', async () => {
    const q = new Queue('del-run', { connection: db.pool })
    const { worker } = startWorker('del-run')
    const started = nextEvent<Job>(worker, 'job:started', { timeoutMs: 15_000 })
    const job = await q.enqueue('fixtures.sleep', 1500)
    await started
    await waitFor(async () => (await job.refresh()).status === 'started', { timeoutMs: 10_000 })
    const refusal = /^job \S+ is running on worker \S+; a running job cannot be deleted: wait until it ends, then delete it$/
    await expect(q.delete(job.id)).rejects.toThrow(InvalidState)
    await expect(job.delete()).rejects.toThrow(refusal)
    const argv = ['delete', job.id, '--yes']
    const { code, err } = await runCaptured((io) => runCli('pq-admin', () => adminCli(argv, { DATABASE_URL: db.url }, io), io, argv))
    expect(code).toBe(1)
    expect(err).toMatch(/^pq-admin: job \S+ is running on worker \S+; a running job cannot be deleted/)
    const finished = await nextEvent<Job>(worker, 'job:finished', { timeoutMs: 15_000 })
    expect(finished.id).toBe(job.id)
    await job.delete()
    await expect(job.delete()).rejects.toThrow(NoSuchJob)
  })
})
