import { describe, expect, it } from '@jest/globals'
import { DateTime } from 'luxon'
import type pg from 'pg'
import type { JobRow } from '../db/tables.js'
import { Queue } from '../queue/queue.js'
import { useTestDatabase, withRollback } from '../testing/index.js'
import { jobClaimFrom } from './job-claim.js'
import { jobMarkBegan } from './job-finish.js'
import { jobDiscardExpired, jobPromoteDue, jobRescueLost } from './job-maintenance.js'

// Every test runs in a transaction rolled back after it: these functions act on the whole table, so
// each must see only its own rows.
const db = useTestDatabase()
const T0 = DateTime.fromISO('2030-01-01T00:00:00Z')
// A queue writing through the test's transaction.
const inTx = (client: pg.PoolClient, name: string) => new Queue(name, { connection: db.url }).using(client)
const rowOf = async (client: pg.PoolClient, id: string) => (await client.query<JobRow>('select * from pq.job where id = $1', [id])).rows[0]!
const statusOf = async (client: pg.PoolClient, ids: string[]) =>
  (await client.query<{ id: string; status: string }>('select id, status from pq.job where id = any($1) order by id', [ids])).rows.map(
    (r) => [r.id, r.status],
  )

describe('jobRescueLost', () => {
  it("puts back a lost worker's jobs that never began, attempt unspent, and fails the one that began", () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const jobs = await inTx(client, 'rescue').enqueueMany([
        { func: 'fixtures.add', args: [1] },
        { func: 'fixtures.add', args: [2] },
        { func: 'fixtures.add', args: [3], retry: { max: 1 } },
      ])
      await client.query(`insert into pq.worker (name, host, pid, queues, state, heartbeat_at)
        values ('ghost', 'h', 1, '{}', 'busy', now() - interval '1 hour')`)
      const claimed = await jobClaimFrom(ctx, { queues: ['rescue'], limit: 3, worker: 'ghost' })
      expect(claimed).toHaveLength(3)
      // The first and third were running when the worker died; the second waited in its buffer.
      await jobMarkBegan(ctx, { ids: [jobs[0]!.id, jobs[2]!.id], worker: 'ghost' })
      const rescued = await jobRescueLost(ctx, { heartbeatTimeoutSeconds: 60 })
      expect(rescued.map((r) => [r.id, r.status, r.worker]).sort()).toEqual(
        [
          [jobs[0]!.id, 'failed', 'ghost'],
          [jobs[1]!.id, 'queued', 'ghost'],
          [jobs[2]!.id, 'queued', 'ghost'],
        ].sort(),
      )
      const ran = await rowOf(client, jobs[0]!.id)
      expect(ran).toMatchObject({ status: 'failed', attempts: 1 })
      expect(ran.exc_info).toMatch(/worker lost 1 time: ghost/)
      expect(await rowOf(client, jobs[1]!.id)).toMatchObject({ status: 'queued', attempts: 0, exc_info: null, worker: null })
      expect(await rowOf(client, jobs[2]!.id)).toMatchObject({ status: 'queued', attempts: 1 })
    }))
})

describe('jobRescueLost called by a live worker', () => {
  it('never takes the caller for dead, even when its own heartbeat is late', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const [job] = await inTx(client, 'rescue-self').enqueueMany([{ func: 'fixtures.add', args: [1] }])
      // A busy machine delayed this worker's heartbeat past a short --heartbeat-timeout. Before the
      // fix its own maintenance deleted its row and failed the job it was running as "worker lost".
      await client.query(`insert into pq.worker (name, host, pid, queues, state, heartbeat_at)
        values ('late-beat', 'h', 1, '{}', 'busy', now() - interval '10 seconds')`)
      expect(await jobClaimFrom(ctx, { queues: ['rescue-self'], limit: 1, worker: 'late-beat' })).toHaveLength(1)
      await jobMarkBegan(ctx, { ids: [job!.id], worker: 'late-beat' })
      const rescued = await jobRescueLost(ctx, {
        heartbeatTimeoutSeconds: 1,
        own: { worker: 'late-beat', keep: [job!.id], olderThanSeconds: 0 },
      })
      expect(rescued).toEqual([])
      expect(await rowOf(client, job!.id)).toMatchObject({ status: 'started', worker: 'late-beat' })
      expect((await client.query(`select count(*)::int as n from pq.worker where name = 'late-beat'`)).rows[0].n).toBe(1)
    }))
})

describe('jobPromoteDue', () => {
  it('queues the scheduled jobs whose time has come, at the end of their queue, and leaves later ones scheduled', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const queue = inTx(client, 'promote')
      const waiting = await queue.enqueue('fixtures.add', 0)
      const [due1, due2, later] = await queue.enqueueMany([
        { func: 'fixtures.add', args: [1], at: T0.minus({ minutes: 2 }) },
        { func: 'fixtures.add', args: [2], at: T0.minus({ minutes: 1 }) },
        { func: 'fixtures.add', args: [3], at: T0.plus({ minutes: 1 }) },
      ])
      expect(await jobPromoteDue(ctx, { limit: 10, now: T0 })).toBe(2)
      expect(await statusOf(client, [due1!.id, due2!.id, later!.id])).toEqual(
        [
          [due1!.id, 'queued'],
          [due2!.id, 'queued'],
          [later!.id, 'scheduled'],
        ].sort((a, b) => a[0]!.localeCompare(b[0]!)),
      )
      expect((await rowOf(client, due1!.id)).enqueued_at).toEqual(T0.toJSDate())
      // Promoted jobs join the queue behind what already waited, earliest due first.
      const claimed = await jobClaimFrom(ctx, { queues: ['promote'], limit: 10, worker: 'w' })
      expect(claimed.map((r) => r.id)).toEqual([waiting.id, due1!.id, due2!.id])
      expect(await jobPromoteDue(ctx, { limit: 10, now: T0 })).toBe(0)
    }))

  it('promotes at most `limit` jobs a call, the earliest due first', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const jobs = await inTx(client, 'promote-limit').enqueueMany(
        [3, 1, 2].map((m) => ({ func: 'fixtures.add', args: [m], at: T0.minus({ minutes: m }) })),
      )
      expect(await jobPromoteDue(ctx, { limit: 2, now: T0 })).toBe(2)
      // The job due 1 minute ago is the latest of the three, so it is the one left.
      expect((await rowOf(client, jobs[1]!.id)).status).toBe('scheduled')
      expect(await jobPromoteDue(ctx, { limit: 2, now: T0 })).toBe(1)
      expect((await rowOf(client, jobs[1]!.id)).status).toBe('queued')
    }))
})

describe('jobDiscardExpired', () => {
  it('cancels waiting jobs whose ttl ran out before they started, and no other', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const queue = inTx(client, 'discard')
      const expired = await queue.enqueueCall({ func: 'fixtures.add', args: [1], ttl: 60 })
      const fresh = await queue.enqueueCall({ func: 'fixtures.add', args: [2], ttl: 3600 })
      const forever = await queue.enqueue('fixtures.add', 3)
      const expiredScheduled = await queue.enqueueCall({ func: 'fixtures.add', args: [4], ttl: 60, in: 30 })
      const running = await inTx(client, 'discard-running').enqueueCall({ func: 'fixtures.add', args: [5], ttl: 60 })
      expect(await jobClaimFrom(ctx, { queues: ['discard-running'], limit: 1, worker: 'w' })).toHaveLength(1)
      const later = DateTime.utc().plus({ minutes: 10 })
      const discarded = await jobDiscardExpired(ctx, { limit: 10, now: later })
      expect(discarded.sort()).toEqual([expired.id, expiredScheduled.id].sort())
      const gone = await rowOf(client, expired.id)
      expect(gone).toMatchObject({ status: 'canceled', ended_at: later.toJSDate() })
      expect(gone.exc_info).toMatch(/not started within its ttl of 60s/)
      expect(await statusOf(client, [fresh.id, forever.id, running.id])).toEqual(
        [
          [fresh.id, 'queued'],
          [forever.id, 'queued'],
          [running.id, 'started'],
        ].sort((a, b) => a[0]!.localeCompare(b[0]!)),
      )
      expect(await jobDiscardExpired(ctx, { limit: 10, now: later })).toEqual([])
    }))
})
