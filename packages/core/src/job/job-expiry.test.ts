import { describe, expect, it } from '@jest/globals'
import { DateTime } from 'luxon'
import { Queue } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'
import { jobDiscardExpired, jobSweepExpired } from '@pq/core/internal'

const db = useTestDatabase()
const queue = (name = 'default') => new Queue(name, { connection: db.pool })

async function expiresAt(id: string): Promise<Date | null | undefined> {
  const { rows } = await db.pool.query('select expires_at from pq.job where id = $1', [id])
  return rows[0]?.expires_at
}

/** Sweeps as a worker would a hundred years from now: anything with an expiry goes. */
const sweepFarFuture = () => jobSweepExpired(db.ctx, { limit: 1000, now: DateTime.utc().plus({ years: 100 }) })

describe('the expiry rule (ended + ttl; -1 keeps, 0 goes at the next sweep)', () => {
  it('keeps a canceled job with failureTtl -1 forever', async () => {
    const job = await queue().enqueueCall({ func: 'fixtures.add', failureTtl: -1 })
    await job.cancel()
    expect(await expiresAt(job.id)).toBeNull()
    await sweepFarFuture()
    expect(await expiresAt(job.id)).toBeNull()
  })

  it('keeps a dependent canceled with its dependency when its failureTtl is -1', async () => {
    const q = queue()
    const first = await q.enqueueCall({ func: 'fixtures.add' })
    const second = await q.enqueueCall({ func: 'fixtures.add', dependsOn: first.id, failureTtl: -1 })
    await first.cancel()
    expect((await second.refresh()).status).toBe('canceled')
    expect(await expiresAt(second.id)).toBeNull()
  })

  it('keeps a job canceled at enqueue (its dependency was canceled) when its failureTtl is -1', async () => {
    const q = queue()
    const first = await q.enqueueCall({ func: 'fixtures.add' })
    await first.cancel()
    const late = await q.enqueueCall({ func: 'fixtures.add', dependsOn: first.id, failureTtl: -1 })
    expect(late.status).toBe('canceled')
    expect(await expiresAt(late.id)).toBeNull()
  })

  it('keeps a job discarded for waiting past its ttl when its failureTtl is -1', async () => {
    const job = await queue().enqueueCall({ func: 'fixtures.add', ttl: 1, failureTtl: -1 })
    await jobDiscardExpired(db.ctx, { limit: 10, now: DateTime.utc().plus({ minutes: 1 }) })
    expect((await job.refresh()).status).toBe('canceled')
    expect(await expiresAt(job.id)).toBeNull()
  })

  it('expires a canceled job with failureTtl 0 at once, and one with 60 a minute after it ended', async () => {
    const q = queue()
    const now = await q.enqueueCall({ func: 'fixtures.add', failureTtl: 0 })
    const minute = await q.enqueueCall({ func: 'fixtures.add', failureTtl: 60 })
    await now.cancel()
    await minute.cancel()
    expect((await expiresAt(now.id))?.getTime()).toBe(now.endedAt!.toMillis())
    expect((await expiresAt(minute.id))?.getTime()).toBe(minute.endedAt!.toMillis() + 60_000)
    await sweepFarFuture()
    expect(await expiresAt(now.id)).toBeUndefined()
  })
})
