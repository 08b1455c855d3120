import { describe, expect, it, afterEach } from '@jest/globals'
import { type Job } from '@pq/core'
import { useTestDatabase, nextEvent, waitFor } from '@pq/core/testing'
import { type JobRunReport } from '@pq/worker'
import { useTestWorkers } from '../testing/test-workers.js'

const db = useTestDatabase()
const { queue, worker } = useTestWorkers(db)

describe('timeouts', () => {
  it('fails an in-process job at its timeout with JobTimeout, and aborts its job.signal', async () => {
    const job = await queue('timeout').enqueueCall({ func: 'fixtures.noteAbort', args: [10_000], timeout: 0.3 })
    const w = worker({ queues: ['timeout'] })
    const failed = nextEvent<Job>(w, 'job:failed')
    void w.work()
    expect((await failed).id).toBe(job.id)
    await job.refresh()
    expect(job.status).toBe('failed')
    expect(job.excInfo).toMatch(/^JobTimeout: job \S+ .*0\.3/)
    // The task saw its signal abort with the JobTimeout as reason, and said so.
    await waitFor(async () => (await job.refresh()).meta.aborted, { what: 'the task to note its abort' })
    expect(job.meta.aborted).toBe('JobTimeout')
  })

  it('terminates the thread of an isolated job that spins past its timeout, and runs the next job in a new one', async () => {
    const w = worker({ queues: ['spin'], isolate: true })
    void w.work()
    await nextEvent(w, 'worker:idle')
    const failed = nextEvent<Job>(w, 'job:failed', { timeoutMs: 10_000 })
    const spinning = await queue('spin').enqueueCall({ func: 'fixtures.spin', args: [60_000], timeout: 1 })
    expect((await failed).id).toBe(spinning.id)
    expect((await spinning.refresh()).excInfo).toMatch(/^JobTimeout: /)
    // A thread that ignored the timeout would still be spinning here.
    await waitFor(() => w.isolatedThreads === 0, { what: 'the spinning thread to be terminated' })
    const next = await queue('spin').enqueue('fixtures.add', 1, 2)
    expect(await next.waitForResult({ timeout: 10 })).toBe(3)
    expect(w.isolatedThreads).toBe(1)
  })
})

describe('retries', () => {
  it('schedules a failed job per its retry intervals, counts attempts, and fails it after max', async () => {
    const retry = { max: 2, intervals: [1, 1] }
    const doomed = await queue('retry').enqueueCall({ func: 'fixtures.fail', args: ['again'], retry })
    const healed = await queue('retry').enqueueCall({ func: 'fixtures.failUntilAttempt', args: [2], retry })
    const w = worker({ queues: ['retry'], concurrency: 2 })
    const starts: Record<string, number[]> = {}
    const retried: JobRunReport[] = []
    w.on('job:started', (job) => (starts[job.id] ??= []).push(Date.now()))
    w.on('job:retried', (_job, report) => retried.push(report))
    const failed = nextEvent<Job>(w, 'job:failed', { timeoutMs: 10_000 })
    void w.work()
    expect((await failed).id).toBe(doomed.id)
    expect(await healed.waitForResult({ timeout: 5 })).toBe(2)

    await doomed.refresh()
    expect(doomed.status).toBe('failed')
    expect(doomed.attempts).toBe(3)
    expect(doomed.excInfo).toMatch(/^Error: again/)
    expect(starts[doomed.id]).toHaveLength(3)
    expect(starts[healed.id]).toHaveLength(2)
    // Each retry waited for its interval (1 s) as a scheduled job.
    const [a, b, c] = starts[doomed.id]!
    expect(b! - a!).toBeGreaterThanOrEqual(900)
    expect(c! - b!).toBeGreaterThanOrEqual(900)
    expect(retried.map((r) => r.outcome.status)).toEqual(['scheduled', 'scheduled', 'scheduled'])
  })

  it('puts a job back at once when its retry has no interval', async () => {
    const job = await queue('retry-now').enqueueCall({ func: 'fixtures.failUntilAttempt', args: [3], retry: { max: 3 } })
    await worker({ queues: ['retry-now'], burst: true }).work()
    await job.refresh()
    expect(job.status).toBe('finished')
    expect(job.result).toBe(3)
    expect(job.attempts).toBe(3)
  })
})

describe('the exception handler chain', () => {
  it('calls handlers in order after the final failure, goes on past one that throws, stops at one returning false', async () => {
    const job = await queue('handlers').enqueueCall({ func: 'fixtures.fail', args: ['boom'], retry: { max: 1 } })
    const w = worker({
      queues: ['handlers'],
      burst: true,
      exceptionHandlers: [
        'fixtures.handlerNote',
        'fixtures.handlerThrow',
        'fixtures.handlerNote',
        'fixtures.handlerStop',
        'fixtures.handlerNote',
      ],
    })
    const warnings: string[] = []
    w.on('warning', (m) => warnings.push(m))
    await w.work()
    await job.refresh()
    // Recorded as failed whatever the handlers returned; called once, after the last attempt.
    expect(job.status).toBe('failed')
    expect(job.attempts).toBe(2)
    expect(job.meta.handled).toEqual(['note: boom', 'throw: boom', 'note: boom', 'stop: boom'])
    expect(warnings).toEqual([expect.stringMatching(/exception handler fixtures\.handlerThrow failed: the handler itself broke/)])
  })
})

describe('outcomes Postgres refuses', () => {
  it('fails a job whose result jsonb cannot hold, and records the others of its batch', async () => {
    const bad = await queue('nul').enqueue('fixtures.returnsNul')
    const good = await queue('nul').enqueueMany(Array.from({ length: 5 }, (_, i) => ({ func: 'fixtures.add', args: [i, 1] })))
    await worker({ queues: ['nul'], burst: true, concurrency: 6 }).work()
    expect((await bad.refresh()).status).toBe('failed')
    expect(bad.excInfo).toMatch(/result cannot be stored as JSON: it holds the character \\u0000, which Postgres cannot store/)
    for (const job of good) expect((await job.refresh()).status).toBe('finished')
  })
})

describe('recording outcomes', () => {
  // A trigger refuses to mark jobs finished while block_completions holds a row, with the SQLSTATE given.
  const block = async (sqlstate: string) => {
    await db.pool.query(`
      create table if not exists block_completions (code text);
      create or replace function block_completions() returns trigger language plpgsql as $$
      declare c text;
      begin
        select code into c from block_completions limit 1;
        if c is not null then raise exception 'completions blocked by the test' using errcode = c; end if;
        return new;
      end $$;
      drop trigger if exists block_completions on pq.job;
      create trigger block_completions before update on pq.job for each row
        when (new.status = 'finished') execute function block_completions();
      insert into block_completions values ('${sqlstate}');`)
  }
  const unblock = () => db.pool.query('delete from block_completions')
  afterEach(async () => {
    await db.pool.query('drop trigger if exists block_completions on pq.job; drop table if exists block_completions')
  })

  it('keeps retrying an outcome the database refuses for a while, and records it once it can', async () => {
    await block('55000') // object not in prerequisite state: not the values' fault
    const w = worker({ queues: ['refused'] })
    const warned = nextEvent<string>(w, 'warning', { filter: (m) => /recording 1 outcome failed, retrying/.test(m) })
    void w.work()
    const job = await queue('refused').enqueue('fixtures.add', 20, 1)
    await warned
    expect((await job.refresh()).status).toBe('started')
    await unblock()
    expect(await job.waitForResult({ timeout: 10 })).toBe(21)
  })

  it('fails a job whose outcome the database refuses for its values, saying why', async () => {
    await block('22023') // invalid parameter value: retrying the same values cannot help
    const job = await queue('bad-values').enqueue('fixtures.add', 1, 1)
    await worker({ queues: ['bad-values'], burst: true }).work()
    await job.refresh()
    expect(job.status).toBe('failed')
    expect(job.excInfo).toBe("pq could not record this job's outcome: completions blocked by the test")
  })
})
