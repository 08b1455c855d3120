import { describe, expect, it } from '@jest/globals'
import pg from 'pg'
import {
  Queue,
  InvalidQueueName,
  InvalidArgument,
  InvalidDuration,
  DuplicateJobId,
  NoSuchJob,
  DependencyCycle,
  InvalidOption,
} from '@pq/core'
import { useTestDatabase, FIXTURES_PATH } from '@pq/core/testing'
import { workChannel } from '@pq/core/internal'

const db = useTestDatabase()
const queue = (name = 'default', options = {}) => new Queue(name, { connection: db.pool, ...options })

async function countJobs(where = 'true'): Promise<number> {
  const { rows } = await db.pool.query(`select count(*)::int as n from pq.job where ${where}`)
  return rows[0].n
}

/** Collects notifications on the work channel from a dedicated connection. */
async function listen(): Promise<{ payloads: string[]; fence: () => Promise<void>; close: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  const payloads: string[] = []
  const waiters: Array<(p: string) => void> = []
  client.on('notification', (msg) => {
    payloads.push(msg.payload ?? '')
    for (const w of waiters.splice(0)) w(msg.payload ?? '')
  })
  await client.query(`listen ${workChannel('pq')}`)
  return {
    payloads,
    // Notifications arrive in commit order: once the sentinel arrives, everything sent before it has.
    fence: async () => {
      const arrived = new Promise<string>((resolve) => {
        const check = (p: string) => (p === 'fence' ? resolve(p) : waiters.push(check))
        waiters.push(check)
      })
      await db.pool.query(`select pg_notify('${workChannel('pq')}', 'fence')`)
      await arrived
      payloads.splice(payloads.indexOf('fence'), 1)
    },
    close: () => client.end(),
  }
}

describe('Queue names', () => {
  it.each([
    ['', 'it is empty'],
    ['failed', 'reserved'],
    ['x'.repeat(64), '64 bytes'],
    ['bad\nname', 'control character'],
  ])('refuses %j with InvalidQueueName', (name, problem) => {
    expect(() => queue(name)).toThrow(InvalidQueueName)
    expect(() => queue(name)).toThrow(problem)
  })

  it('accepts 63 bytes and unicode', () => {
    expect(queue('x'.repeat(63)).name).toHaveLength(63)
    expect(queue('hög').name).toBe('hög')
  })
})

describe('enqueue', () => {
  it('stores the call with RQ defaults and returns a queued Job', async () => {
    const job = await queue().enqueue('fixtures.add', 1, 2)
    expect(job.status).toBe('queued')
    expect(job.func).toBe('fixtures.add')
    expect(job.args).toEqual([1, 2])
    expect(job.origin).toBe('default')
    expect(job.resultTtl).toBe(500)
    expect(job.failureTtl).toBe(365 * 24 * 3600)
    expect(job.enqueuedAt).not.toBeNull()
    const fetched = await queue().fetchJob(job.id)
    expect(fetched?.args).toEqual([1, 2])
    expect(fetched?.createdAt.toMillis()).toBe(job.createdAt.toMillis())
  })

  it('takes every RQ option through enqueueCall', async () => {
    const dep = await queue('opts').enqueue('fixtures.add', 0, 0)
    const job = await queue('opts').enqueueCall({
      func: 'fixtures.withKwargs',
      args: [2],
      kwargs: { times: 3 },
      timeout: '1h',
      resultTtl: -1,
      failureTtl: '2d',
      ttl: 30,
      jobId: 'my-id',
      description: 'triple two',
      dependsOn: dep,
      meta: { a: 1 },
      retry: { max: 2, intervals: [5, 10] },
      onSuccess: 'fixtures.add',
      onFailure: 'fixtures.fail',
    })
    expect(job).toMatchObject({
      id: 'my-id',
      kwargs: { times: 3 },
      timeout: 3600,
      resultTtl: -1,
      failureTtl: 172800,
      ttl: 30,
      description: 'triple two',
      meta: { a: 1 },
      retry: { max: 2, intervals: [5, 10] },
      onSuccess: 'fixtures.add',
      onFailure: 'fixtures.fail',
      status: 'deferred',
    })
    expect(job.discardAt!.diff(job.createdAt).as('seconds')).toBe(30)
  })

  it('reads timeouts with units, 12M being 720 seconds', async () => {
    expect((await queue().enqueueCall({ func: 'fixtures.add', timeout: '12M' })).timeout).toBe(720)
    expect((await queue().enqueueCall({ func: 'fixtures.add', timeout: '15s' })).timeout).toBe(15)
    expect((await queue().enqueueCall({ func: 'fixtures.add', timeout: 90 })).timeout).toBe(90)
  })

  it.each([0, -5, 'h12', '10k', '', 'abc'])('refuses the timeout %j and writes nothing', async (timeout) => {
    const before = await countJobs()
    await expect(queue().enqueueCall({ func: 'fixtures.add', timeout })).rejects.toThrow(InvalidDuration)
    expect(await countJobs()).toBe(before)
  })

  it.each([
    [[() => 1], 'args[0]', 'function'],
    [[Symbol('s')], 'args[0]', 'symbol'],
    [[10n], 'args[0]', 'BigInt'],
    [[{ n: NaN }], 'args[0].n', 'NaN'],
    [[new Map()], 'args[0]', 'Map'],
  ])('refuses a non-JSON argument %#, naming it, and writes nothing', async (args, path, what) => {
    const before = await countJobs()
    const err = await queue()
      .enqueueCall({ func: 'fixtures.add', args })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidArgument)
    expect((err as Error).message).toContain(path)
    expect((err as Error).message).toContain(what)
    expect(await countJobs()).toBe(before)
  })

  it('refuses a circular argument', async () => {
    const a: Record<string, unknown> = {}
    a.self = a
    await expect(queue().enqueue('fixtures.add', a)).rejects.toThrow(/args\[0\]\.self .*circular/)
  })

  it('refuses a malformed function name and an unknown option', async () => {
    await expect(queue().enqueue('add')).rejects.toThrow(InvalidOption)
    await expect(queue().enqueue('tasks..add')).rejects.toThrow(/module\.export/)
    await expect(queue().enqueueCall({ func: 'fixtures.add', retries: 3 } as never)).rejects.toThrow(/unknown enqueue option "retries"/)
  })

  it('refuses a duplicate jobId with DuplicateJobId', async () => {
    await queue().enqueueCall({ func: 'fixtures.add', jobId: 'dup' })
    await expect(queue().enqueueCall({ func: 'fixtures.add', jobId: 'dup' })).rejects.toThrow(DuplicateJobId)
  })

  it('puts atFront jobs first, the latest first', async () => {
    const q = queue('front')
    const a = await q.enqueue('fixtures.add', 1)
    const b = await q.enqueueCall({ func: 'fixtures.add', args: [2], atFront: true })
    const c = await q.enqueueCall({ func: 'fixtures.add', args: [3], atFront: true })
    const d = await q.enqueue('fixtures.add', 4)
    expect(await q.jobIds()).toEqual([c.id, b.id, a.id, d.id])
  })

  it('writes many jobs in one call, all or none', async () => {
    const q = queue('many')
    const jobs = await q.enqueueMany([
      { func: 'fixtures.add', args: [1] },
      { func: 'fixtures.add', args: [2] },
    ])
    expect(jobs.map((j) => j.args)).toEqual([[1], [2]])
    expect(await q.count()).toBe(2)
    await expect(q.enqueueMany([{ func: 'fixtures.add' }, { func: 'fixtures.add', args: [() => 0] }])).rejects.toThrow(InvalidArgument)
    expect(await q.count()).toBe(2)
  })

  it('refuses a dependency on a job that does not exist, and a cycle', async () => {
    await expect(queue().enqueueCall({ func: 'fixtures.add', dependsOn: 'nope' })).rejects.toThrow(NoSuchJob)
    await expect(
      queue().enqueueMany([
        { func: 'fixtures.add', jobId: 'c1', dependsOn: 'c2' },
        { func: 'fixtures.add', jobId: 'c2', dependsOn: 'c1' },
      ]),
    ).rejects.toThrow(DependencyCycle)
    await expect(queue().enqueueCall({ func: 'fixtures.add', jobId: 'selfish', dependsOn: 'selfish' })).rejects.toThrow(DependencyCycle)
  })

  it('schedules a job with `in` and `at`', async () => {
    const job = await queue().enqueueCall({ func: 'fixtures.add', in: '1h' })
    expect(job.status).toBe('scheduled')
    expect(job.scheduledFor!.diffNow().as('minutes')).toBeGreaterThan(59)
    const past = await queue().enqueueCall({ func: 'fixtures.add', at: '2000-01-01T00:00:00Z' })
    expect(past.status).toBe('queued')
  })
})

describe('reading and managing a queue', () => {
  it('counts, pages, fetches, deletes and empties', async () => {
    const q = queue('manage')
    const jobs = await q.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ func: 'fixtures.add', args: [i] })))
    expect(await q.count()).toBe(5)
    expect(await q.jobIds({ offset: 1, limit: 2 })).toEqual([jobs[1]!.id, jobs[2]!.id])
    await q.delete(jobs[0]!.id)
    expect(await q.fetchJob(jobs[0]!.id)).toBeUndefined()
    await expect(q.delete(jobs[0]!.id)).rejects.toThrow(NoSuchJob)
    expect(await q.empty()).toBe(4)
    expect(await q.count()).toBe(0)
  })

  it('lists every queue with Queue.all', async () => {
    await queue('listed-a').enqueue('fixtures.add')
    await queue('listed-b', { serial: true }).enqueue('fixtures.add')
    const all = await Queue.all({ connection: db.pool })
    const names = all.map((q) => q.name)
    expect(names).toEqual(expect.arrayContaining(['listed-a', 'listed-b']))
    expect(all.find((q) => q.name === 'listed-b')?.serial).toBe(true)
  })

  it('cancels a waiting job and its dependents, and refuses to cancel an ended one', async () => {
    const q = queue('cancel')
    const a = await q.enqueue('fixtures.add')
    const b = await q.enqueueCall({ func: 'fixtures.add', dependsOn: a })
    await a.cancel()
    expect(a.status).toBe('canceled')
    expect((await b.refresh()).status).toBe('canceled')
    await expect(a.cancel()).rejects.toThrow(/only queued, deferred or scheduled/)
    await expect(a.requeue()).resolves.toMatchObject({ status: 'queued' })
  })

  it('saves meta and reads it back', async () => {
    const job = await queue().enqueue('fixtures.add')
    job.meta.progress = 0.5
    await job.saveMeta()
    expect((await queue().fetchJob(job.id))?.meta).toEqual({ progress: 0.5 })
  })
})

describe("enqueue inside the caller's transaction", () => {
  it('leaves no job and wakes no listener when the caller rolls back', async () => {
    const listener = await listen()
    const client = await db.pool.connect()
    try {
      await client.query('begin')
      const job = await queue('trx').using(client).enqueue('fixtures.add', 1)
      await client.query('rollback')
      expect(await queue().fetchJob(job.id)).toBeUndefined()
      await listener.fence()
      expect(listener.payloads).toEqual([])
    } finally {
      client.release()
      await listener.close()
    }
  })

  it('creates the job and wakes a listener exactly once when the caller commits, never before', async () => {
    const listener = await listen()
    const client = await db.pool.connect()
    try {
      await client.query('begin')
      const job = await queue('trx').using(client).enqueue('fixtures.add', 2)
      await queue('trx').using(client).enqueue('fixtures.add', 3)
      // Not visible, and not announced, before commit.
      expect(await queue().fetchJob(job.id)).toBeUndefined()
      await listener.fence()
      expect(listener.payloads).toEqual([])
      await client.query('commit')
      await listener.fence()
      expect(listener.payloads).toEqual([JSON.stringify({ queue: 'trx' })])
      expect((await queue().fetchJob(job.id))?.status).toBe('queued')
    } finally {
      client.release()
      await listener.close()
    }
  })

  it('works with a Kysely transaction carrying a CamelCasePlugin', async () => {
    const { Kysely, PostgresDialect, CamelCasePlugin } = await import('kysely')
    const kdb = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: db.pool }), plugins: [new CamelCasePlugin()] })
    const id = await kdb.transaction().execute(async (trx) => (await queue('kysely').using(trx).enqueue('fixtures.add', 5)).id)
    expect((await queue().fetchJob(id))?.args).toEqual([5])
    await expect(
      kdb.transaction().execute(async (trx) => {
        await queue('kysely').using(trx).enqueueCall({ func: 'fixtures.add', jobId: 'rolled-back' })
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    expect(await queue().fetchJob('rolled-back')).toBeUndefined()
  })
})

describe('isAsync false', () => {
  it('runs the job at once, in-process, and stores its result', async () => {
    const q = queue('sync', { isAsync: false, path: FIXTURES_PATH })
    const job = await q.enqueue('fixtures.add', 2, 3)
    expect(job.status).toBe('finished')
    expect(job.result).toBe(5)
    const failed = await q.enqueue('fixtures.fail', 'boom')
    expect(failed.status).toBe('failed')
    expect(failed.excInfo).toContain('boom')
    const kw = await q.enqueueCall({ func: 'fixtures.withKwargs', args: [4], kwargs: { times: 2 } })
    expect(kw.result).toBe(8)
  })

  it('gives the running task its job through getCurrentJob', async () => {
    const q = queue('sync', { isAsync: false, path: FIXTURES_PATH })
    const job = await q.enqueue('fixtures.currentJobId')
    expect(job.result).toBe(job.id)
  })
})
