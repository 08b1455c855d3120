import { describe, expect, it } from '@jest/globals'
import { Queue } from '../queue/queue.js'
import { useTestDatabase } from '../testing/index.js'
import { jobClaimFrom } from './job-claim.js'

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
