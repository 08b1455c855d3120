import { describe, expect, it } from '@jest/globals'
import { DateTime } from 'luxon'
import type pg from 'pg'
import type { JobRow } from '../db/tables.js'
import { Queue } from '../queue/queue.js'
import { useTestDatabase, withRollback } from '../testing/index.js'
import { jobClaimFrom } from './job-claim.js'
import { jobCancelDependents, jobRequeue } from './job-operations.js'

// Each test runs in a transaction rolled back after it, so it sees only its own rows.
const db = useTestDatabase()
const T0 = DateTime.fromISO('2030-01-01T00:00:00Z')
const inTx = (client: pg.PoolClient, name: string) => new Queue(name, { connection: db.url }).using(client)
const rowOf = async (client: pg.PoolClient, id: string) => (await client.query<JobRow>('select * from pq.job where id = $1', [id])).rows[0]!
const endAs = (client: pg.PoolClient, id: string, status: string) =>
  client.query(
    `update pq.job set status = $2, exc_info = 'boom', attempts = 3, worker = 'w', ended_at = now(), expires_at = now() + interval '1 day' where id = $1`,
    [id, status],
  )

describe('jobCancelDependents', () => {
  it('cancels the waiting dependents of a job, transitively, saying why, and leaves the job and unrelated jobs alone', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const queue = inTx(client, 'cancel-deps')
      const root = await queue.enqueue('fixtures.add', 1)
      const child = await queue.enqueueCall({ func: 'fixtures.add', args: [2], dependsOn: root })
      const grandchild = await queue.enqueueCall({ func: 'fixtures.add', args: [3], dependsOn: child })
      const other = await queue.enqueue('fixtures.add', 4)
      const canceled = await jobCancelDependents(ctx, { ids: [root.id], reason: 'a dependency failed', now: T0 })
      expect(canceled.sort()).toEqual([child.id, grandchild.id].sort())
      for (const id of [child.id, grandchild.id]) {
        expect(await rowOf(client, id)).toMatchObject({
          status: 'canceled',
          exc_info: 'canceled: a dependency failed',
          ended_at: T0.toJSDate(),
        })
        expect((await rowOf(client, id)).expires_at!.getTime()).toBeGreaterThan(T0.toMillis())
      }
      expect((await rowOf(client, root.id)).status).toBe('queued')
      expect((await rowOf(client, other.id)).status).toBe('queued')
    }))

  it('leaves a dependent that already ended as it was', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const queue = inTx(client, 'cancel-deps-ended')
      const root = await queue.enqueue('fixtures.add', 1)
      const child = await queue.enqueueCall({ func: 'fixtures.add', args: [2], dependsOn: root })
      await endAs(client, child.id, 'failed')
      expect(await jobCancelDependents(ctx, { ids: [root.id], reason: 'r', now: T0 })).toEqual([])
      expect(await rowOf(client, child.id)).toMatchObject({ status: 'failed', exc_info: 'boom' })
    }))
})

describe('jobRequeue', () => {
  it('puts ended jobs back at the end of their queue with attempts, error and end cleared', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const queue = inTx(client, 'requeue')
      const [failed, stopped, canceled, waiting] = await queue.enqueueMany([1, 2, 3, 4].map((n) => ({ func: 'fixtures.add', args: [n] })))
      await endAs(client, failed!.id, 'failed')
      await endAs(client, stopped!.id, 'stopped')
      await endAs(client, canceled!.id, 'canceled')
      const rows = await jobRequeue(ctx, { ids: [failed!.id, stopped!.id, canceled!.id], now: T0 })
      expect(rows.map((r) => r.id).sort()).toEqual([failed!.id, stopped!.id, canceled!.id].sort())
      for (const id of [failed!.id, stopped!.id, canceled!.id]) {
        expect(await rowOf(client, id)).toMatchObject({
          status: 'queued',
          attempts: 0,
          exc_info: null,
          worker: null,
          ended_at: null,
          expires_at: null,
          enqueued_at: T0.toJSDate(),
        })
      }
      // Requeued jobs go behind the job that was already waiting.
      const claimed = await jobClaimFrom(ctx, { queues: ['requeue'], limit: 10, worker: 'w2' })
      expect(claimed[0]!.id).toBe(waiting!.id)
      expect(claimed).toHaveLength(4)
    }))

  it('touches neither a waiting or running job nor a status outside `statuses`', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const queue = inTx(client, 'requeue-only')
      const [waiting, running, failed, canceled] = await queue.enqueueMany([1, 2, 3, 4].map((n) => ({ func: 'fixtures.add', args: [n] })))
      await client.query(`update pq.job set status = 'started', worker = 'w' where id = $1`, [running!.id])
      await endAs(client, failed!.id, 'failed')
      await endAs(client, canceled!.id, 'canceled')
      const ids = [waiting!.id, running!.id, failed!.id, canceled!.id]
      expect((await jobRequeue(ctx, { ids, statuses: ['failed'], now: T0 })).map((r) => r.id)).toEqual([failed!.id])
      expect((await rowOf(client, running!.id)).status).toBe('started')
      expect(await rowOf(client, canceled!.id)).toMatchObject({ status: 'canceled', exc_info: 'boom' })
      expect(await jobRequeue(ctx, { ids: [waiting!.id, running!.id], now: T0 })).toEqual([])
    }))

  it('gives a requeued job with a ttl a new deadline counted from the requeue', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const job = await inTx(client, 'requeue-ttl').enqueueCall({ func: 'fixtures.add', args: [1], ttl: 60 })
      await endAs(client, job.id, 'failed')
      await jobRequeue(ctx, { ids: [job.id], now: T0 })
      expect((await rowOf(client, job.id)).discard_at).toEqual(T0.plus({ seconds: 60 }).toJSDate())
    }))
})
