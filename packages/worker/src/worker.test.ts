import { describe, expect, it, afterEach } from '@jest/globals'
import pg from 'pg'
import { Queue, migrate, type Job } from '@pq/core'
import { useTestDatabase, FIXTURES_PATH, nextEvent, waitFor } from '@pq/core/testing'
import { Worker, type WorkerOptions } from '@pq/worker'

const db = useTestDatabase()
const workers: Worker[] = []
const queue = (name = 'default', options = {}) => new Queue(name, { connection: db.url, ...options })
const worker = (options: WorkerOptions = {}) => {
  const w = new Worker({ connection: db.url, path: FIXTURES_PATH, migrate: false, heartbeatTimeout: 5, ...options })
  workers.push(w)
  return w
}

/** A schema of the test's own, for a worker of every queue: it must not see other tests' jobs. */
const ownSchema = async (schema: string) => {
  await migrate(db.pool, { schema })
  return schema
}

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('now')))
})

/** A pool that counts checkouts: every statement a worker sends takes one (a round trip). */
const countingPool = async (use: (pool: pg.Pool, count: () => number) => Promise<void>) => {
  const pool = new pg.Pool({ connectionString: db.url, max: 10 })
  let n = 0
  pool.on('acquire', () => n++)
  try {
    await use(pool, () => n)
  } finally {
    await pool.end()
  }
}

describe('a burst worker', () => {
  it('drains its queue, records results, and exits', async () => {
    const q = queue('drain')
    const jobs = await q.enqueueMany(Array.from({ length: 50 }, (_, i) => ({ func: 'fixtures.add', args: [i, 1] })))
    const w = worker({ queues: ['drain'], burst: true, concurrency: 4 })
    const stopped = nextEvent<{ reason: string }>(w, 'worker:stopped')
    await w.work()
    expect((await stopped).reason).toBe('No more work, burst finished.')
    for (const job of jobs) {
      await job.refresh()
      expect(job.status).toBe('finished')
      expect(job.result).toBe((job.args[0] as number) + 1)
      expect(job.expiresAt!.diff(job.endedAt!).as('seconds')).toBeCloseTo(500, 0)
    }
  })

  it('serves queues in the order listed: low waits while high has work', async () => {
    const order: string[] = []
    await queue('low').enqueueMany([
      { func: 'fixtures.add', args: [1] },
      { func: 'fixtures.add', args: [2] },
    ])
    await queue('high').enqueueMany([
      { func: 'fixtures.add', args: [3] },
      { func: 'fixtures.add', args: [4] },
    ])
    const w = worker({ queues: ['high', 'low'], burst: true, concurrency: 1 })
    w.on('job:started', (job) => order.push(job.origin))
    await w.work()
    expect(order).toEqual(['high', 'high', 'low', 'low'])
  })

  it('fails a throwing job with its message and stack, kept for failureTtl', async () => {
    const job = await queue('fails').enqueueCall({ func: 'fixtures.fail', args: ['kaboom'], failureTtl: 60 })
    await worker({ queues: ['fails'], burst: true }).work()
    await job.refresh()
    expect(job.status).toBe('failed')
    expect(job.excInfo).toMatch(/^Error: kaboom\n\s+at /)
    expect(job.expiresAt!.diff(job.endedAt!).as('seconds')).toBeCloseTo(60, 0)
  })

  it('fails a job whose function is unknown, naming what was tried', async () => {
    const job = await queue('unknown').enqueue('fixtures.nope')
    const bad = await queue('unknown').enqueue('nomodule.fn')
    await worker({ queues: ['unknown'], burst: true }).work()
    expect((await job.refresh()).excInfo).toMatch(/fixtures\.ts has no export "nope" \(it has .*add/)
    expect((await bad.refresh()).excInfo).toMatch(/no module nomodule\.ts/)
  })

  it('deletes a finished job with resultTtl 0 and keeps one with -1 forever', async () => {
    const gone = await queue('ttl').enqueueCall({ func: 'fixtures.add', args: [1, 1], resultTtl: 0 })
    const kept = await queue('ttl').enqueueCall({ func: 'fixtures.add', args: [1, 1], resultTtl: -1 })
    await worker({ queues: ['ttl'], burst: true }).work()
    expect(await queue().fetchJob(gone.id)).toBeUndefined()
    expect((await kept.refresh()).expiresAt).toBeNull()
  })

  it('passes kwargs as a last argument and lets a task report progress', async () => {
    const kw = await queue('kw').enqueueCall({ func: 'fixtures.withKwargs', args: [3], kwargs: { times: 4 } })
    const progress = await queue('kw').enqueue('fixtures.reportProgress', 4)
    await worker({ queues: ['kw'], burst: true }).work()
    expect((await kw.refresh()).result).toBe(12)
    expect((await progress.refresh()).meta).toEqual({ progress: 1 })
  })

  it('discards a job whose ttl passed before it started', async () => {
    const job = await queue('stale').enqueueCall({ func: 'fixtures.add', ttl: 1 })
    await db.pool.query(`update pq.job set discard_at = now() - interval '1 second' where id = $1`, [job.id])
    await worker({ queues: ['stale'], burst: true }).work()
    await job.refresh()
    expect(job.status).toBe('canceled')
    expect(job.excInfo).toMatch(/not started within its ttl of 1s/)
  })
})

describe('a waiting worker', () => {
  it('starts a job committed while it waits within a moment, on NOTIFY', async () => {
    const w = worker({ queues: ['wake'], workerTtl: 60 })
    void w.work()
    await nextEvent(w, 'worker:idle')
    // On a loaded machine the start-up probe may come late: the first notification then flips the mode.
    await waitFor(() => w.mode === 'listen', { what: 'LISTEN to be up' })
    const started = nextEvent(w, 'job:started')
    const t0 = Date.now()
    const job = await queue('wake').enqueue('fixtures.add', 2, 2)
    await started
    // A generous bound: a poll would take workerTtl (60 s). Real figures live in the benchmark.
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(await job.waitForResult({ timeout: 5 })).toBe(4)
  })

  it('waitForResult throws JobFailed for a failed job and WaitTimeout when it takes too long', async () => {
    const w = worker({ queues: ['results'] })
    void w.work()
    const failed = await queue('results').enqueue('fixtures.fail', 'nope')
    await expect(failed.waitForResult({ timeout: 5 })).rejects.toThrow(/failed: Error: nope/)
    const slow = await queue('results').enqueue('fixtures.sleep', 3000)
    await expect(slow.waitForResult({ timeout: 0.2 })).rejects.toThrow(/still (queued|started) after waiting 0.2s/)
  })

  it('polls when LISTEN is off, and still runs jobs', async () => {
    const w = worker({ queues: ['poll'], listen: false, fallbackPollInterval: 0.2 })
    void w.work()
    await nextEvent(w, 'worker:idle')
    expect(w.mode).toBe('poll')
    const job = await queue('poll').enqueue('fixtures.add', 1, 2)
    expect(await job.waitForResult({ timeout: 5, recheckInterval: 0.1 })).toBe(3)
  })

  it('reconnects its LISTEN connection after it is killed, without losing jobs', async () => {
    const w = worker({ queues: ['reconnect'], workerTtl: 60 })
    void w.work()
    await nextEvent(w, 'worker:idle')
    const modes: string[] = []
    w.on('waker:mode-changed', (m) => modes.push(m))
    await db.pool.query(`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and application_name like 'pq-listen%'`)
    const job = await queue('reconnect').enqueue('fixtures.add', 5, 5)
    expect(await job.waitForResult({ timeout: 10 })).toBe(10)
    await waitFor(() => w.mode === 'listen', { what: 'LISTEN to come back' })
    const again = await queue('reconnect').enqueue('fixtures.add', 1, 1)
    expect(await again.waitForResult({ timeout: 5 })).toBe(2)
    expect(modes).toContain('poll')
  })
})

describe('stopping', () => {
  it('stop("now") puts a job that ignores its signal back at once, without its onFailure callback', async () => {
    const job = await queue('now').enqueueCall({ func: 'fixtures.sleep', args: [4000], onFailure: 'fixtures.handlerNote' })
    const w = worker({ queues: ['now'] })
    const started = nextEvent(w, 'job:started')
    void w.work()
    await started
    const t0 = Date.now()
    await w.stop('now')
    expect(Date.now() - t0).toBeLessThan(2000)
    await job.refresh()
    expect(job.status).toBe('queued')
    expect(job.attempts).toBe(0)
    expect(job.worker).toBeNull()
    expect(job.meta.handled).toBeUndefined()
  })

  it('a graceful stop finishes the job in hand and puts claimed-but-unstarted jobs back', async () => {
    // Quick jobs first: after them the worker claims a job ahead while one runs.
    await queue('graceful').enqueueMany(Array.from({ length: 8 }, () => ({ func: 'fixtures.add', args: [1, 1] })))
    const [first, second] = await queue('graceful').enqueueMany([
      { func: 'fixtures.sleep', args: [300] },
      { func: 'fixtures.sleep', args: [300] },
    ])
    const w = worker({ queues: ['graceful'] })
    const started = nextEvent<Job>(w, 'job:started', { filter: (job) => job.id === first!.id })
    void w.work()
    await started
    // The second sleep is claimed ahead while the first runs: started (claimed) but not running.
    await waitFor(async () => (await second!.refresh()).status === 'started', { what: 'the claim ahead' })
    await w.stop()
    expect((await first!.refresh()).status).toBe('finished')
    await second!.refresh()
    expect(second!.status).toBe('queued')
    expect(second!.attempts).toBe(0)
  })
})

describe('Worker.all() and Worker.forQueue()', () => {
  it('list live workers with their queues and counts, and tell whether a queue is served', async () => {
    const schema = await ownSchema('registry')
    // A worker killed without a word keeps its row until another worker reaps it: not live, not listed.
    await db.pool.query(`insert into registry.worker (name, host, pid, queues, state, heartbeat_at)
      values ('reg-dead', 'gone', 1, '{}', 'busy', now() - interval '2 minutes')`)
    expect(await Worker.all({ connection: db.url, schema })).toEqual([])
    expect((await Worker.all({ connection: db.url, schema, liveSeconds: 600 })).map((w) => w.name)).toEqual(['reg-dead'])
    await db.pool.query(`delete from registry.worker where name = 'reg-dead'`) // this test's own row
    const some = worker({ queues: ['reg-a', 'reg-b'], name: 'reg-some', concurrency: 2, schema })
    const every = worker({ name: 'reg-every', schema })
    const idle = [nextEvent(some, 'worker:idle'), nextEvent(every, 'worker:idle')]
    void some.work()
    void every.work()
    await Promise.all(idle)
    const connection = db.url
    const all = await Worker.all({ connection, schema })
    expect(all.map((w) => w.name)).toEqual(['reg-every', 'reg-some'])
    expect(all[1]).toMatchObject({
      queues: ['reg-a', 'reg-b'],
      concurrency: 2,
      pid: process.pid,
      listenMode: 'listen',
      stopRequested: false,
    })
    expect(all[0]!.queues).toEqual([])
    expect((await Worker.forQueue('reg-b', { connection, schema })).map((w) => w.name)).toEqual(['reg-every', 'reg-some'])
    expect((await Worker.forQueue('reg-c', { connection, schema })).map((w) => w.name)).toEqual(['reg-every'])

    await queue('reg-c', { schema }).enqueue('fixtures.add', 1, 1)
    await queue('reg-c', { schema }).enqueue('fixtures.fail')
    await waitFor(
      async () => {
        const w = (await Worker.all({ connection, schema })).find((x) => x.name === 'reg-every')!
        return w.successfulCount === 1 && w.failedCount === 1
      },
      { what: 'the heartbeat to carry the counts' },
    )

    await some.stop()
    expect((await Worker.forQueue('reg-b', { connection, schema })).map((w) => w.name)).toEqual(['reg-every'])
  })
})

describe('the loop', () => {
  it('costs two round trips per job at concurrency 1, and far fewer when it batches', async () => {
    await countingPool(async (pool, count) => {
      await queue('rt1').enqueueMany(Array.from({ length: 100 }, (_, i) => ({ func: 'fixtures.add', args: [i, 1] })))
      await new Worker({ connection: pool, queues: ['rt1'], path: FIXTURES_PATH, migrate: false, burst: true }).work()
      const serial = count()
      await queue('rt10').enqueueMany(Array.from({ length: 400 }, (_, i) => ({ func: 'fixtures.add', args: [i, 1] })))
      await new Worker({ connection: pool, queues: ['rt10'], path: FIXTURES_PATH, migrate: false, burst: true, concurrency: 10 }).work()
      const batched = count() - serial
      // A claim and a completion per job, plus a fixed cost to start and stop (register, due work,
      // maintenance, the burst check, deregister). Nothing else per job.
      expect(serial).toBeLessThanOrEqual(2 * 100 + 30)
      expect(batched).toBeLessThanOrEqual(0.3 * 400 + 30)
    })
  })

  it('in burst mode, waits for a serial queue held by another worker instead of spinning', async () => {
    const serial = new Queue('held', { connection: db.url, serial: true })
    const [long, next] = await serial.enqueueMany([
      { func: 'fixtures.sleep', args: [1000] },
      { func: 'fixtures.add', args: [1, 1] },
    ])
    const holder = worker({ queues: ['held'] })
    const started = nextEvent(holder, 'job:started')
    void holder.work()
    await started
    await countingPool(async (pool, count) => {
      const burst = new Worker({ connection: pool, queues: ['held'], path: FIXTURES_PATH, migrate: false, burst: true })
      await burst.work()
      // About a second of waiting: a spinning loop would send thousands of statements.
      expect(count()).toBeLessThan(60)
    })
    expect((await long!.refresh()).status).toBe('finished')
    expect(await next!.waitForResult({ timeout: 5 })).toBe(2)
  })

  it('sends next to nothing while idle, or while its slots are full and notifications pour in', async () => {
    await countingPool(async (pool, count) => {
      // Maintenance far off, so only the loop and the heartbeat (every 1.25 s) speak.
      const w = new Worker({
        connection: pool,
        queues: ['quiet'],
        path: FIXTURES_PATH,
        migrate: false,
        heartbeatTimeout: 5,
        maintenanceInterval: 60,
      })
      workers.push(w)
      const idle = nextEvent(w, 'worker:idle')
      void w.work()
      await idle
      let before = count()
      // Idleness can only be shown over time: a second, against a busy loop's thousands of statements.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      // A heartbeat or two, and the beat a state change sends (idle, at most one a second): a handful.
      expect(count() - before).toBeLessThanOrEqual(5)
      const started = nextEvent(w, 'job:started')
      await queue('quiet').enqueue('fixtures.sleep', 1000)
      await started
      before = count()
      for (let i = 0; i < 20; i++) await queue('quiet').enqueue('fixtures.add', i, 1) // 20 notifications
      expect(count() - before).toBeLessThanOrEqual(5) // as above: beats only, no claim per notification
      await w.stop()
    })
  })

  it('serving every queue, runs a serial queue one job at a time beside other queues', async () => {
    const schema = await ownSchema('serving_all')
    await new Queue('ser-all', { connection: db.url, serial: true, schema }).enqueueMany(
      Array.from({ length: 4 }, () => ({ func: 'fixtures.sleep', args: [30] })),
    )
    await queue('plain-all', { schema }).enqueueMany(Array.from({ length: 8 }, () => ({ func: 'fixtures.sleep', args: [30] })))
    const w = worker({ burst: true, concurrency: 4, schema })
    let plainRunning = 0
    let maxPlain = 0
    w.on('job:started', (job) => {
      if (job.origin !== 'ser-all') maxPlain = Math.max(maxPlain, ++plainRunning)
    })
    w.on('job:finished', (job) => {
      if (job.origin !== 'ser-all') plainRunning--
    })
    await w.work()
    // One at a time, as the database recorded it: each serial job started after the one before it
    // ended. (Events cannot show it: the next job may start, its lock freed by the commit, before
    // the worker has read that commit's reply and emitted the first one's job:finished.)
    const serial = await db.pool.query<{ started_at: Date; ended_at: Date }>(
      `select started_at, ended_at from serving_all.job where queue = 'ser-all' order by started_at`,
    )
    expect(serial.rows).toHaveLength(4)
    for (let i = 1; i < serial.rows.length; i++)
      expect(serial.rows[i]!.started_at.getTime()).toBeGreaterThanOrEqual(serial.rows[i - 1]!.ended_at.getTime())
    expect(maxPlain).toBeGreaterThan(1)
    const { rows } = await db.pool.query(`select status, count(*)::int as n from serving_all.job group by 1`)
    expect(rows).toEqual([{ status: 'finished', n: 12 }])
  })

  it('claims no job ahead behind long jobs, so another worker takes it', async () => {
    const [first, second] = await queue('long').enqueueMany([
      { func: 'fixtures.sleep', args: [600] },
      { func: 'fixtures.sleep', args: [600] },
    ])
    const a = worker({ queues: ['long'], name: 'long-a' })
    const started = nextEvent(a, 'job:started')
    void a.work()
    await started
    const b = worker({ queues: ['long'], name: 'long-b' })
    void b.work()
    await Promise.all([first!.waitForResult({ timeout: 5 }), second!.waitForResult({ timeout: 5 })])
    expect(first!.worker).toBe('long-a')
    expect(second!.worker).toBe('long-b')
  })

  it('runs a serial queue back to back without LISTEN: a freed lock wakes its own worker', async () => {
    const jobs = await new Queue('ser-poll', { connection: db.url, serial: true }).enqueueMany(
      Array.from({ length: 4 }, (_, i) => ({ func: 'fixtures.add', args: [i, 1] })),
    )
    const t0 = Date.now()
    await worker({ queues: ['ser-poll'], burst: true, listen: false, fallbackPollInterval: 5 }).work()
    // Waiting for a poll between jobs would take 5 s each.
    expect(Date.now() - t0).toBeLessThan(3000)
    for (const job of jobs) expect((await job.refresh()).status).toBe('finished')
  })

  it('recovers jobs a previous life of a worker left started when it restarts under the same name', async () => {
    const job = await queue('reborn').enqueueCall({ func: 'fixtures.add', args: [2, 2], retry: { max: 1 } })
    await db.pool.query(
      `update pq.job set status = 'started', worker = 'reborn', attempts = 1, began = true,
      started_at = now() - interval '1 minute' where id = $1`,
      [job.id],
    )
    const w = worker({ queues: ['reborn'], name: 'reborn' })
    void w.work()
    expect(await job.waitForResult({ timeout: 10 })).toBe(4)
    expect(job.attempts).toBe(2)
  })

  it('recovers a job started under its own name that it does not hold (a claim whose reply was lost)', async () => {
    const w = worker({ queues: ['lost-reply'], name: 'lost-reply' })
    const idle = nextEvent(w, 'worker:idle')
    void w.work()
    await idle
    // Enqueued where the worker does not look, so it cannot claim the job before the update below.
    const job = await queue('lost-reply-elsewhere').enqueueCall({ func: 'fixtures.add', args: [3, 3], retry: { max: 1 } })
    // As if a claim by this worker committed two minutes ago but its reply never arrived (the worker
    // itself is older still, so only the "not held" rule applies).
    await db.pool.query(`update pq.worker set birth_at = now() - interval '10 minutes' where name = 'lost-reply'`)
    await db.pool.query(
      `update pq.job set queue = 'lost-reply', status = 'started', worker = 'lost-reply', attempts = 1,
      started_at = now() - interval '2 minutes' where id = $1`,
      [job.id],
    )
    expect(await job.waitForResult({ timeout: 10 })).toBe(6)
    // It never began (no worker ran it), so that claim spent no attempt.
    expect(job.attempts).toBe(1)
  })
})
