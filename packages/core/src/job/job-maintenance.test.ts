import { describe, expect, it } from '@jest/globals'
import { Queue } from '../queue/queue.js'
import { useTestDatabase } from '../testing/index.js'
import { jobClaimFrom } from './job-claim.js'
import { jobMarkBegan } from './job-finish.js'
import { jobRescueLost } from './job-maintenance.js'

const db = useTestDatabase()

describe('jobRescueLost', () => {
  it('puts back a lost worker\'s jobs that never began, attempt unspent, and fails the one that began', async () => {
    const jobs = await new Queue('rescue', { connection: db.url }).enqueueMany([
      { func: 'fixtures.add', args: [1] }, { func: 'fixtures.add', args: [2] }, { func: 'fixtures.add', args: [3], retry: { max: 1 } },
    ])
    await db.pool.query(`insert into pq.worker (name, host, pid, queues, state, heartbeat_at)
      values ('ghost', 'h', 1, '{}', 'busy', now() - interval '1 hour')`)
    const claimed = await jobClaimFrom(db.ctx, { queues: ['rescue'], limit: 3, worker: 'ghost' })
    expect(claimed).toHaveLength(3)
    // The first and third were running when the worker died; the second waited in its buffer.
    await jobMarkBegan(db.ctx, { ids: [jobs[0]!.id, jobs[2]!.id], worker: 'ghost' })
    const rescued = await jobRescueLost(db.ctx, { heartbeatTimeoutSeconds: 60 })
    const ours = new Set(jobs.map((j) => j.id)) // earlier tests left jobs of workers that never existed
    expect(rescued.filter((r) => ours.has(r.id)).map((r) => [r.id, r.status, r.worker]).sort()).toEqual([
      [jobs[0]!.id, 'failed', 'ghost'], [jobs[1]!.id, 'queued', 'ghost'], [jobs[2]!.id, 'queued', 'ghost'],
    ].sort())
    const [ran, waited, retried] = await Promise.all(jobs.map((j) => j.refresh()))
    expect(ran).toMatchObject({ status: 'failed', attempts: 1 })
    expect(ran!.excInfo).toMatch(/worker lost 1 time: ghost/)
    expect(waited).toMatchObject({ status: 'queued', attempts: 0, excInfo: null, worker: null })
    expect(retried).toMatchObject({ status: 'queued', attempts: 1 })
  })
})

describe('jobRescueLost called by a live worker', () => {
  it('never takes the caller for dead, even when its own heartbeat is late', async () => {
    const [job] = await new Queue('rescue-self', { connection: db.url }).enqueueMany([{ func: 'fixtures.add', args: [1] }])
    // A busy machine delayed this worker's heartbeat past a short --heartbeat-timeout. Before the
    // fix its own maintenance deleted its row and failed the job it was running as "worker lost".
    await db.pool.query(`insert into pq.worker (name, host, pid, queues, state, heartbeat_at)
      values ('late-beat', 'h', 1, '{}', 'busy', now() - interval '10 seconds')`)
    expect(await jobClaimFrom(db.ctx, { queues: ['rescue-self'], limit: 1, worker: 'late-beat' })).toHaveLength(1)
    await jobMarkBegan(db.ctx, { ids: [job!.id], worker: 'late-beat' })
    const rescued = await jobRescueLost(db.ctx, { heartbeatTimeoutSeconds: 1, own: { worker: 'late-beat', keep: [job!.id], olderThanSeconds: 0 } })
    expect(rescued.filter((r) => r.id === job!.id)).toEqual([])
    expect(await job!.refresh()).toMatchObject({ status: 'started', worker: 'late-beat' })
    expect((await db.pool.query(`select count(*)::int as n from pq.worker where name = 'late-beat'`)).rows[0].n).toBe(1)
  })
})
