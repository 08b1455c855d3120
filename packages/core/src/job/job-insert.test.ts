import { describe, expect, it } from '@jest/globals'
import { Kysely, PostgresDialect } from 'kysely'
import { DateTime } from 'luxon'
import type pg from 'pg'
import { queryContext } from '../db/query-context.js'
import type { Database, JobRow } from '../db/tables.js'
import { useTestDatabase, withRollback } from '../testing/index.js'
import { DEFAULT_RESULT_TTL, resolveEnqueueCall, type EnqueueCall } from './enqueue-options.js'
import { jobClaimFrom } from './job-claim.js'
import { jobInsertMany } from './job-insert.js'

// Each test runs in a transaction rolled back after it, so it sees only its own rows. Rows are built
// the way Queue builds them, so these tests follow the row type wherever it goes.
const db = useTestDatabase()
const T0 = DateTime.fromISO('2030-01-01T00:00:00Z')
const DEFAULTS = { timeout: null, resultTtl: DEFAULT_RESULT_TTL, failureTtl: 3600, isolate: null, priority: 0 }
const rowsFor = (queue: string, calls: EnqueueCall[]) => calls.map((call) => resolveEnqueueCall(queue, call, DEFAULTS, T0))
const rowOf = async (client: pg.PoolClient, id: string) => (await client.query<JobRow>('select * from pq.job where id = $1', [id])).rows[0]!

describe('jobInsertMany', () => {
  it('inserts a batch as queued jobs in order, with their arguments, and creates the missing queue row', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const rows = rowsFor('ins', [
        { func: 'fixtures.add', args: [1, 2] },
        { func: 'fixtures.add', args: [3], kwargs: { x: 'y' }, description: 'second' },
        { func: 'fixtures.add', args: [4], atFront: true },
      ])
      const inserted = await jobInsertMany(ctx, { rows, queues: [{ name: 'ins', serial: false }], now: T0 })
      expect(inserted.map((r) => [r.id, r.status])).toEqual(rows.map((r) => [r.id, 'queued']))
      expect(await rowOf(client, rows[1]!.id)).toMatchObject({
        queue: 'ins',
        func: 'fixtures.add',
        args: [3],
        kwargs: { x: 'y' },
        description: 'second',
        enqueued_at: T0.toJSDate(),
      })
      expect((await client.query(`select serial from pq.queue where name = 'ins'`)).rows).toEqual([{ serial: false }])
      // FIFO, the atFront job first.
      const claimed = await jobClaimFrom(ctx, { queues: ['ins'], limit: 3, worker: 'w' })
      expect(claimed.map((r) => r.id)).toEqual([rows[2]!.id, rows[0]!.id, rows[1]!.id])
    }))

  it('inserts a job due later as scheduled and one whose dependency has not finished as deferred', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const [first, later] = rowsFor('ins-wait', [
        { func: 'fixtures.add', args: [1] },
        { func: 'fixtures.add', args: [2], at: T0.plus({ hours: 1 }) },
      ])
      const [dependent] = rowsFor('ins-wait', [{ func: 'fixtures.add', args: [3], dependsOn: first!.id }])
      const inserted = await jobInsertMany(ctx, {
        rows: [first!, later!, dependent!],
        queues: [{ name: 'ins-wait', serial: false }],
        now: T0,
      })
      expect(inserted.map((r) => r.status)).toEqual(['queued', 'scheduled', 'deferred'])
      expect((await rowOf(client, later!.id)).scheduled_for).toEqual(T0.plus({ hours: 1 }).toJSDate())
      expect((await client.query('select job_id, depends_on from pq.job_dependency where job_id = $1', [dependent!.id])).rows).toEqual([
        { job_id: dependent!.id, depends_on: first!.id },
      ])
    }))

  it('queues a dependent at once when its dependency already finished', () =>
    withRollback(db.pool, async ({ ctx, client }) => {
      const [done] = rowsFor('ins-done', [{ func: 'fixtures.add', args: [1] }])
      await jobInsertMany(ctx, { rows: [done!], queues: [{ name: 'ins-done', serial: false }], now: T0 })
      await client.query(`update pq.job set status = 'finished', ended_at = now() where id = $1`, [done!.id])
      const [after] = rowsFor('ins-done', [{ func: 'fixtures.add', args: [2], dependsOn: done!.id }])
      expect(
        (await jobInsertMany(ctx, { rows: [after!], queues: [{ name: 'ins-done', serial: false }], now: T0 })).map((r) => r.status),
      ).toEqual(['queued'])
    }))

  it('marks a queue serial when asked, even one that existed', () =>
    withRollback(db.pool, async ({ ctx, client }) => {
      await jobInsertMany(ctx, {
        rows: rowsFor('ins-serial', [{ func: 'fixtures.add' }]),
        queues: [{ name: 'ins-serial', serial: false }],
        now: T0,
      })
      await jobInsertMany(ctx, {
        rows: rowsFor('ins-serial', [{ func: 'fixtures.add' }]),
        queues: [{ name: 'ins-serial', serial: true }],
        now: T0,
      })
      expect((await client.query(`select serial from pq.queue where name = 'ins-serial'`)).rows).toEqual([{ serial: true }])
    }))

  it('hands back a single job (its lean statement) exactly as the table holds it, queued or scheduled, by name or through Kysely', async () => {
    const rowsOf = (calls: EnqueueCall[]) => calls.map((call) => resolveEnqueueCall('ins-one', call, DEFAULTS, DateTime.utc()))
    const calls: EnqueueCall[] = [
      { func: 'fixtures.add', args: [1], ttl: 60 },
      { func: 'fixtures.add', args: [2], in: 3600 },
    ]
    const lease = { connect: () => db.pool.connect(), end: async () => {} } as unknown as pg.Pool
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: lease }) })
    try {
      for (const ctx of [queryContext(db.pool, 'pq'), queryContext(kysely, 'pq')]) {
        for (const row of rowsOf(calls)) {
          const [inserted] = await jobInsertMany(ctx, { rows: [row], queues: [{ name: 'ins-one', serial: false }] })
          const stored = (await db.pool.query<JobRow>('select * from pq.job where id = $1', [row.id])).rows[0]!
          expect(inserted).toEqual(stored)
        }
      }
    } finally {
      await kysely.destroy()
    }
  })

  it('inserts nothing for an empty batch', () =>
    withRollback(db.pool, async ({ ctx }) => {
      expect(await jobInsertMany(ctx, { rows: [], queues: [], now: T0 })).toEqual([])
    }))
})
