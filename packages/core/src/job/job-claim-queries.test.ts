import { describe, expect, it } from '@jest/globals'
import { Queue } from '../queue/queue.js'
import { useTestDatabase } from '../testing/index.js'
import { jobClaimFrom } from './job-claim-queries.js'

const db = useTestDatabase()
const enqueue = (queue: string, n: number, options: { serial?: boolean; atFront?: boolean } = {}) =>
  new Queue(queue, { connection: db.url, serial: options.serial }).enqueueMany(
    Array.from({ length: n }, (_, i) => ({ func: 'fixtures.add', args: [i], atFront: options.atFront })))
const serialLock = async (queue: string) =>
  (await db.pool.query<{ serial_job_id: string | null }>('select serial_job_id from pq.queue where name = $1', [queue])).rows[0]!.serial_job_id

describe('jobClaimFrom', () => {
  it('takes every runnable job of a queue before any of the next, FIFO within each, atFront first', async () => {
    const low = await enqueue('cf-low', 3)
    const high = await enqueue('cf-high', 2)
    const urgent = await enqueue('cf-high', 1, { atFront: true })
    const rows = await jobClaimFrom(db.ctx, { queues: ['cf-high', 'cf-low'], limit: 5, worker: 'w1' })
    expect(rows.map((r) => r.id)).toEqual([urgent[0]!.id, high[0]!.id, high[1]!.id, low[0]!.id, low[1]!.id])
    expect(rows.every((r) => r.status === 'started' && r.worker === 'w1' && r.attempts === 1)).toBe(true)
    const rest = await jobClaimFrom(db.ctx, { queues: ['cf-high', 'cf-low'], limit: 5, worker: 'w2' })
    expect(rest.map((r) => r.id)).toEqual([low[2]!.id])
  })

  it('gives one job of a serial queue and takes its lock; none more while the lock is held', async () => {
    const jobs = await enqueue('cf-serial', 3, { serial: true })
    const first = await jobClaimFrom(db.ctx, { queues: ['cf-serial'], limit: 10, worker: 'w1' })
    expect(first.map((r) => [r.id, r.serial_claim])).toEqual([[jobs[0]!.id, true]])
    expect(await serialLock('cf-serial')).toBe(jobs[0]!.id)
    expect(await jobClaimFrom(db.ctx, { queues: ['cf-serial'], limit: 10, worker: 'w2' })).toEqual([])
  })

  it('leaves a serial queue unlocked when its job is cut by the limit', async () => {
    await enqueue('cf-serial-late', 1, { serial: true })
    const plain = await enqueue('cf-plain', 2)
    const rows = await jobClaimFrom(db.ctx, { queues: ['cf-plain', 'cf-serial-late'], limit: 2, worker: 'w1' })
    expect(rows.map((r) => r.id)).toEqual(plain.map((j) => j.id))
    expect(await serialLock('cf-serial-late')).toBeNull()
    const next = await jobClaimFrom(db.ctx, { queues: ['cf-plain', 'cf-serial-late'], limit: 2, worker: 'w1' })
    expect(next).toHaveLength(1)
    expect(await serialLock('cf-serial-late')).toBe(next[0]!.id)
  })

  it('never hands a job to two of many racing claims', async () => {
    await enqueue('cf-race', 200)
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      jobClaimFrom(db.ctx, { queues: ['cf-none', 'cf-race'], limit: 30, worker: `w${i}` })))
    const ids = claims.flat().map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBe(200)
  })
})

describe('jobRescueLost', () => {
  it('puts back a lost worker\'s jobs that never began, attempt unspent, and fails the one that began', async () => {
    const { jobMarkBegan, jobRescueLost } = await import('./job-claim-queries.js')
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
    const { jobMarkBegan, jobRescueLost } = await import('./job-claim-queries.js')
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
