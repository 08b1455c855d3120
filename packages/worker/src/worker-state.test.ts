import { describe, expect, it, afterEach } from '@jest/globals'
import { Queue, type Job } from '@pq/core'
import { useTestDatabase, FIXTURES_PATH, nextEvent, waitFor } from '@pq/core/testing'
import { Worker } from './worker.js'

const db = useTestDatabase()
const workers: Worker[] = []
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('now')))
})

const stateOf = async (name: string) =>
  (await db.pool.query<{ state: string }>('select state from pq.worker where name = $1', [name])).rows[0]?.state

describe('the registry row of a running worker', () => {
  it('reads busy within a few seconds of a job starting, not "starting" until the 15 s beat', async () => {
    // The default heartbeat timeout (60 s) gives the 15 s beat interval the issue saw.
    const worker = new Worker({ queues: ['state'], connection: db.url, path: FIXTURES_PATH, migrate: false })
    workers.push(worker)
    const started = nextEvent<Job>(worker, 'job:started', { timeoutMs: 15_000 })
    void worker.work()
    await new Queue('state', { connection: db.pool }).enqueue('fixtures.sleep', 8000)
    await started
    // 5 s is a third of the 15 s interval: a row still "starting" then is the defect.
    expect(await waitFor(async () => (await stateOf(worker.name)) === 'busy', { timeoutMs: 5000, what: 'the row to read busy' })).toBe(true)
  })
})
