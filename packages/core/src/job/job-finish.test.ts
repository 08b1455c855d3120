import { describe, expect, it } from '@jest/globals'
import type pg from 'pg'
import type { JobRow } from '../db/tables.js'
import { Queue } from '../queue/queue.js'
import { useTestDatabase, withRollback } from '../testing/index.js'
import { jobClaimFrom } from './job-claim.js'
import { jobFinishMany, jobMarkBegan, jobRelease } from './job-finish.js'

// Each test runs in a transaction rolled back after it, so it sees only its own rows.
const db = useTestDatabase()
const inTx = (client: pg.PoolClient, name: string, serial = false) => new Queue(name, { connection: db.url, serial }).using(client)
const rowOf = async (client: pg.PoolClient, id: string) => (await client.query<JobRow>('select * from pq.job where id = $1', [id])).rows[0]!

describe('jobRelease', () => {
  it("puts this worker's started jobs back at their old place, the attempt not counted", () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const jobs = await inTx(client, 'release').enqueueMany([1, 2, 3].map((n) => ({ func: 'fixtures.add', args: [n] })))
      expect(await jobClaimFrom(ctx, { queues: ['release'], limit: 2, worker: 'w1' })).toHaveLength(2)
      await jobMarkBegan(ctx, { ids: [jobs[0]!.id], worker: 'w1' })
      const released = await jobRelease(ctx, { ids: [jobs[0]!.id, jobs[1]!.id], worker: 'w1' })
      expect(released.sort()).toEqual([jobs[0]!.id, jobs[1]!.id].sort())
      for (const job of jobs.slice(0, 2)) {
        expect(await rowOf(client, job.id)).toMatchObject({ status: 'queued', worker: null, started_at: null, attempts: 0, began: false })
      }
      // Old place: the next claim takes them before the job that was behind them.
      const next = await jobClaimFrom(ctx, { queues: ['release'], limit: 3, worker: 'w2' })
      expect(next.map((r) => r.id)).toEqual(jobs.map((j) => j.id))
    }))

  it("releases nothing of another worker's or a job not started", () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const [mine, queued] = await inTx(client, 'release-other').enqueueMany([1, 2].map((n) => ({ func: 'fixtures.add', args: [n] })))
      expect(await jobClaimFrom(ctx, { queues: ['release-other'], limit: 1, worker: 'w1' })).toHaveLength(1)
      expect(await jobRelease(ctx, { ids: [mine!.id, queued!.id], worker: 'w2' })).toEqual([])
      expect(await rowOf(client, mine!.id)).toMatchObject({ status: 'started', worker: 'w1', attempts: 1 })
      expect(await jobRelease(ctx, { ids: [], worker: 'w1' })).toEqual([])
    }))

  it("frees a serial queue's lock held by the released job, so the queue gives it again", () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const [first] = await inTx(client, 'release-serial', true).enqueueMany([1, 2].map((n) => ({ func: 'fixtures.add', args: [n] })))
      expect((await jobClaimFrom(ctx, { queues: ['release-serial'], limit: 5, worker: 'w1' })).map((r) => r.id)).toEqual([first!.id])
      expect(await jobClaimFrom(ctx, { queues: ['release-serial'], limit: 5, worker: 'w2' })).toEqual([])
      await jobRelease(ctx, { ids: [first!.id], worker: 'w1' })
      const lock = await client.query(`select serial_job_id from pq.queue where name = 'release-serial'`)
      expect(lock.rows[0].serial_job_id).toBeNull()
      expect((await jobClaimFrom(ctx, { queues: ['release-serial'], limit: 5, worker: 'w2' })).map((r) => r.id)).toEqual([first!.id])
    }))
})

describe('jobFinishMany', () => {
  it('records a batch of outcomes, each as its worker reported it, and only for jobs that worker holds', () =>
    withRollback(db.pool, async ({ client, ctx }) => {
      const [ok, bad, retried, other] = await inTx(client, 'finish-batch').enqueueMany(
        [1, 2, 3, 4].map((n) => ({ func: 'fixtures.add', args: [n], retry: n === 3 ? { max: 1 } : undefined })),
      )
      expect(await jobClaimFrom(ctx, { queues: ['finish-batch'], limit: 3, worker: 'w1' })).toHaveLength(3)
      const touched = await jobFinishMany(ctx, {
        worker: 'w1',
        releaseSerial: false,
        outcomes: [
          { id: ok!.id, status: 'finished', result: '{"sum": 3}', excInfo: null, retryAt: null },
          // A lone surrogate (a JS string may hold one; Postgres refuses it) is recorded as U+FFFD.
          {
            id: bad!.id,
            status: 'failed',
            result: null,
            excInfo: 'Error: bad \udc00 byte',
            retryAt: null,
            errorClass: 'Error',
            errorMessage: 'bad \udc00 byte',
          },
          {
            id: retried!.id,
            status: 'queued',
            result: null,
            excInfo: 'Error: again',
            retryAt: null,
            errorClass: 'Error',
            errorMessage: 'again',
          },
          { id: other!.id, status: 'finished', result: null, excInfo: null, retryAt: null }, // never claimed by w1
        ],
      })
      expect(touched.map((r) => r.id).sort()).toEqual([ok!.id, bad!.id, retried!.id].sort())
      expect(await rowOf(client, ok!.id)).toMatchObject({ status: 'finished', result: { sum: 3 } })
      const failed = await rowOf(client, bad!.id)
      expect(failed).toMatchObject({ status: 'failed', exc_info: 'Error: bad \ufffd byte' })
      expect(failed.attempt_log?.[0]).toMatchObject({ class: 'Error', message: 'bad \ufffd byte', worker: 'w1' })
      expect(await rowOf(client, retried!.id)).toMatchObject({ status: 'queued', ended_at: null, exc_info: 'Error: again' })
      expect(await rowOf(client, other!.id)).toMatchObject({ status: 'queued' })
    }))
})
