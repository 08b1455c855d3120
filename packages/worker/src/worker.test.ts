import { describe, expect, it, afterEach } from '@jest/globals'
import { Queue } from '@pq/core'
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

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('now')))
})

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
    await queue('low').enqueueMany([{ func: 'fixtures.add', args: [1] }, { func: 'fixtures.add', args: [2] }])
    await queue('high').enqueueMany([{ func: 'fixtures.add', args: [3] }, { func: 'fixtures.add', args: [4] }])
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
    expect(w.mode).toBe('listen')
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
