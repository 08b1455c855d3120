import { describe, expect, it } from '@jest/globals'
import { Kysely, PostgresDialect } from 'kysely'
import { DateTime } from 'luxon'
import type pg from 'pg'
import { queryContext } from '../db/query-context.js'
import type { Database } from '../db/tables.js'
import { Queue } from '../queue/queue.js'
import { queuePause } from '../queue/queue-queries.js'
import { useTestDatabase, withRollback } from '../testing/index.js'
import { jobClaim, jobClaimFrom } from './job-claim.js'
import { pgTimestampToIso } from '../db/type-parsers.js'

const db = useTestDatabase()
const enqueue = (queue: string, n: number, options: { serial?: boolean; atFront?: boolean } = {}) =>
  new Queue(queue, { connection: db.url, serial: options.serial }).enqueueMany(
    Array.from({ length: n }, (_, i) => ({ func: 'fixtures.add', args: [i], atFront: options.atFront })),
  )
const serialLock = async (client: pg.PoolClient, queue: string) =>
  (await client.query<{ serial_job_id: string | null }>('select serial_job_id from pq.queue where name = $1', [queue])).rows[0]!
    .serial_job_id
// Tests run in rolled-back transactions (jobClaim with queue null reads every queue), except the race,
// which needs committed rows and many connections.
const T0 = DateTime.fromISO('2030-01-01T00:00:00Z')
const enqueueIn = (client: pg.PoolClient, queue: string, n: number, options: { serial?: boolean; atFront?: boolean } = {}) =>
  new Queue(queue, { connection: db.url, serial: options.serial })
    .using(client)
    .enqueueMany(Array.from({ length: n }, (_, i) => ({ func: 'fixtures.add', args: [i], atFront: options.atFront })))

describe('jobClaimFrom', () => {
  it('takes every runnable job of a queue before any of the next, FIFO within each, atFront first', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const low = await enqueueIn(client, 'cf-low', 3)
      const high = await enqueueIn(client, 'cf-high', 2)
      const urgent = await enqueueIn(client, 'cf-high', 1, { atFront: true })
      const rows = await jobClaimFrom(ctx, { queues: ['cf-high', 'cf-low'], limit: 5, worker: 'w1' })
      expect(rows.map((r) => r.id)).toEqual([urgent[0]!.id, high[0]!.id, high[1]!.id, low[0]!.id, low[1]!.id])
      expect(rows.every((r) => r.status === 'started' && r.worker === 'w1' && r.attempts === 1)).toBe(true)
      const rest = await jobClaimFrom(ctx, { queues: ['cf-high', 'cf-low'], limit: 5, worker: 'w2' })
      expect(rest.map((r) => r.id)).toEqual([low[2]!.id])
    }))

  it('gives one job of a serial queue and takes its lock; none more while the lock is held', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const jobs = await enqueueIn(client, 'cf-serial', 3, { serial: true })
      const first = await jobClaimFrom(ctx, { queues: ['cf-serial'], limit: 10, worker: 'w1' })
      expect(first.map((r) => [r.id, r.serial_claim])).toEqual([[jobs[0]!.id, true]])
      expect(await serialLock(client, 'cf-serial')).toBe(jobs[0]!.id)
      expect(await jobClaimFrom(ctx, { queues: ['cf-serial'], limit: 10, worker: 'w2' })).toEqual([])
    }))

  it('leaves a serial queue unlocked when its job is cut by the limit', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      await enqueueIn(client, 'cf-serial-late', 1, { serial: true })
      const plain = await enqueueIn(client, 'cf-plain', 2)
      const rows = await jobClaimFrom(ctx, { queues: ['cf-plain', 'cf-serial-late'], limit: 2, worker: 'w1' })
      expect(rows.map((r) => r.id)).toEqual(plain.map((j) => j.id))
      expect(await serialLock(client, 'cf-serial-late')).toBeNull()
      const next = await jobClaimFrom(ctx, { queues: ['cf-plain', 'cf-serial-late'], limit: 2, worker: 'w1' })
      expect(next).toHaveLength(1)
      expect(await serialLock(client, 'cf-serial-late')).toBe(next[0]!.id)
    }))

  it('of one queue (its own statement): nothing while paused, then its jobs in order, also when its queue row is gone', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const jobs = await enqueueIn(client, 'cf-one', 3)
      await queuePause(ctx, { name: 'cf-one' })
      expect(await jobClaimFrom(ctx, { queues: ['cf-one'], limit: 5, worker: 'w1' })).toEqual([])
      await client.query(`update pq.queue set paused_at = null where name = 'cf-one'`)
      const first = await jobClaimFrom(ctx, { queues: ['cf-one'], limit: 2, worker: 'w1' })
      expect(first.map((r) => [r.id, r.status, r.worker, r.serial_claim])).toEqual([
        [jobs[0]!.id, 'started', 'w1', false],
        [jobs[1]!.id, 'started', 'w1', false],
      ])
      // A queue row deleted by hand: the jobs are still claimed (the general claim does the same).
      await client.query(`delete from pq.queue where name = 'cf-one'`)
      expect((await jobClaimFrom(ctx, { queues: ['cf-one'], limit: 5, worker: 'w1' })).map((r) => r.id)).toEqual([jobs[2]!.id])
    }))

  it('never hands a job to two of many racing claims', async () => {
    await enqueue('cf-race', 200)
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => jobClaimFrom(db.ctx, { queues: ['cf-none', 'cf-race'], limit: 30, worker: `w${i}` })),
    )
    const ids = claims.flat().map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBe(200)
  })
})

describe('jobClaim', () => {
  it('claims one queue FIFO, atFront first, marking the jobs started by the worker', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const jobs = await enqueueIn(client, 'c-one', 3)
      const urgent = await enqueueIn(client, 'c-one', 1, { atFront: true })
      await enqueueIn(client, 'c-other', 2)
      const rows = await jobClaim(ctx, { queue: 'c-one', limit: 3, worker: 'w1', now: T0 })
      expect(rows.map((r) => r.id)).toEqual([urgent[0]!.id, jobs[0]!.id, jobs[1]!.id])
      for (const r of rows) {
        expect(r).toMatchObject({ status: 'started', worker: 'w1', attempts: 1 })
        expect(Date.parse(r.started_at!)).toBe(T0.toMillis()) // an ISO string: the claim's row comes as JSON
      }
      expect((await jobClaim(ctx, { queue: 'c-one', limit: 3, worker: 'w2', now: T0 })).map((r) => r.id)).toEqual([jobs[2]!.id])
      expect(await jobClaim(ctx, { queue: 'c-one', limit: 3, worker: 'w2', now: T0 })).toEqual([])
    }))

  it('gives nothing from a paused queue', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      await enqueueIn(client, 'c-paused', 2)
      await queuePause(ctx, { name: 'c-paused' })
      expect(await jobClaim(ctx, { queue: 'c-paused', limit: 5, worker: 'w1' })).toEqual([])
    }))

  it('gives one job of a serial queue and takes its lock', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const jobs = await enqueueIn(client, 'c-serial', 3, { serial: true })
      expect((await jobClaim(ctx, { queue: 'c-serial', limit: 5, worker: 'w1' })).map((r) => r.id)).toEqual([jobs[0]!.id])
      expect(await jobClaim(ctx, { queue: 'c-serial', limit: 5, worker: 'w2' })).toEqual([])
    }))

  it('with queue null, claims across the plain queues in enqueue order, passing over serial and paused ones', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const a = await enqueueIn(client, 'c-any-a', 1)
      await enqueueIn(client, 'c-any-serial', 1, { serial: true })
      const b = await enqueueIn(client, 'c-any-b', 1)
      await enqueueIn(client, 'c-any-paused', 1)
      await queuePause(ctx, { name: 'c-any-paused' })
      const c = await enqueueIn(client, 'c-any-a', 1)
      const rows = await jobClaim(ctx, { queue: null, limit: 10, worker: 'w1' })
      expect(rows.map((r) => r.id)).toEqual([a[0]!.id, b[0]!.id, c[0]!.id])
    }))
})

describe('a claimed row', () => {
  it("has the job row's columns as row_to_json gives them, whether the claim runs as a named statement or through Kysely", async () => {
    const q = new Queue('c-shape', { connection: db.url })
    const call = {
      func: 'fixtures.add',
      args: [1, { a: 'x', n: null }],
      kwargs: { k: [1, 2] },
      meta: { m: true },
      timeout: 1.5,
      retry: { max: 2, intervals: [10, 60] },
      description: 'shape',
      priority: 3,
      ttl: 600,
    }
    const [a, b] = await q.enqueueMany([call, call])
    // A Kysely leasing the test pool's connections, which must not end the pool when destroyed.
    const lease = { connect: () => db.pool.connect(), end: async () => {} } as unknown as pg.Pool
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: lease }) })
    try {
      // The pool's context runs named statements decoded by the claim's own parsers; Kysely's uses pg's defaults.
      const [named] = await jobClaimFrom(queryContext(db.pool, 'pq'), { queues: ['c-shape'], limit: 1, worker: 'w-named' })
      const [viaKysely] = await jobClaimFrom(queryContext(kysely, 'pq'), { queues: ['c-shape'], limit: 1, worker: 'w-kysely' })
      for (const [row, id] of [
        [named!, a!.id],
        [viaKysely!, b!.id],
      ] as const) {
        const { rows } = await db.pool.query<{ row: Record<string, unknown> }>(
          'select row_to_json(j.*) as row from pq.job j where id = $1',
          [id],
        )
        const json = rows[0]!.row
        const instants = (r: Record<string, unknown>) =>
          Object.fromEntries(
            Object.entries(r).map(([k, v]) => [
              k,
              k.endsWith('_at') || k === 'scheduled_for' ? (v === null ? null : Date.parse(v as string)) : v,
            ]),
          )
        expect(instants({ ...row, serial_claim: undefined })).toEqual(instants({ ...json, serial_claim: undefined }))
        expect(row).toMatchObject({ id, status: 'started', timeout: 1.5, retry_intervals: [10, 60], priority: 3, began: false })
        expect(typeof row.position).toBe('number')
        expect(row.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/)
      }
    } finally {
      await kysely.destroy()
    }
  })

  // A claim lost in a server crash only puts its jobs back in the queue, so its commit need not wait
  // for the WAL flush; the job's later writes, and every other transaction, still do.
  it('commits every claim without waiting for the WAL flush, and only the claim', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const setting = async () => (await client.query<{ s: string }>("select current_setting('synchronous_commit') as s")).rows[0]!.s
      // The embedded test server runs with it off: turn it on for this transaction.
      await client.query("select set_config('synchronous_commit', 'on', true)")
      const claims = {
        'one queue': () => jobClaimFrom(ctx, { queues: ['sc-plain'], limit: 1, worker: 'w1' }),
        'several queues': () => jobClaimFrom(ctx, { queues: ['sc-serial', 'sc-plain'], limit: 1, worker: 'w1' }),
        'one serial queue': () => jobClaim(ctx, { queue: 'sc-serial', limit: 1, worker: 'w1' }),
        'every queue': () => jobClaim(ctx, { queue: null, limit: 1, worker: 'w1' }),
      }
      for (const [name, claim] of Object.entries(claims)) {
        await client.query('savepoint before_claim')
        await enqueueIn(client, 'sc-plain', 1)
        await enqueueIn(client, 'sc-serial', 1, { serial: true })
        expect({ name, claimed: (await claim()).length }).toEqual({ name, claimed: 1 })
        expect({ name, synchronousCommit: await setting() }).toEqual({ name, synchronousCommit: 'off' })
        // Rolled back with the savepoint, as it is undone when the claim's transaction ends.
        await client.query('rollback to savepoint before_claim')
        expect(await setting()).toBe('on')
      }
    }))

  it("turns Postgres' timestamp text into ISO 8601, whole-hour and other offsets alike", () => {
    expect(pgTimestampToIso('2026-12-03 07:38:07.749123+00')).toBe('2026-12-03T07:38:07.749123+00:00')
    expect(pgTimestampToIso('2026-12-03 13:08:07+05:30')).toBe('2026-12-03T13:08:07+05:30')
    expect(pgTimestampToIso('2026-12-03 02:38:07.5-05')).toBe('2026-12-03T02:38:07.5-05:00')
    expect(Date.parse(pgTimestampToIso('2026-12-03 13:08:07+05:30'))).toBe(Date.parse('2026-12-03T07:38:07Z'))
  })
})
