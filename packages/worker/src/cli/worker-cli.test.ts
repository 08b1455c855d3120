import { describe, expect, it, jest } from '@jest/globals'
import type { Job } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'
import { useWorkerProcesses } from '../testing/worker-process.js'

// The real pq-worker bin on the test database: its output, signals, --terminate and --stop.
const db = useTestDatabase()
// Each test on its own schema: a worker's sweeps and counts then see only the test's jobs.
const { schema, queue, pqWorker, startedBy } = useWorkerProcesses(db)
// Spawned bins start in a second or two, slower on a loaded 2-core box: room beyond jest's 30 s.
jest.setTimeout(60_000)
const statusOf = async (job: Job) => (await job.refresh()).status

describe('pq-worker output', () => {
  it("prints RQ's lines, nothing with --quiet, and one JSON object per line with --json", async () => {
    const ok = await queue('out').enqueue('fixtures.add', 2, 3)
    await queue('quiet').enqueue('fixtures.add', 1, 1)
    await queue('json').enqueue('fixtures.add', 1, 1)
    const failed = await queue('json').enqueue('fixtures.fail', 'broken\nsecond line')
    const [plain, quiet, json] = [
      pqWorker('out', '--burst'),
      pqWorker('quiet', '--burst', '--quiet'),
      pqWorker('json', '--burst', '--json', '--exception-handler', 'fixtures.handlerStop', '--exception-handler', 'fixtures.handlerNote'),
    ]
    for (const p of [plain, quiet, json]) expect((await p.exited).code).toBe(0)

    const out = plain.stdout()
    expect(out).toMatch(/^\d\d:\d\d:\d\d \*\*\* Listening for work on out$/m)
    expect(out).toContain(`out: fixtures.add(2, 3) (${ok.id})`)
    expect(out).toContain(`out: Job OK (${ok.id})`)
    expect(out).toContain('Result is kept for 500 seconds')
    expect(out).toMatch(/No more work, burst finished\.\n$/)
    expect(plain.stderr()).toBe('')

    expect(quiet.stdout()).toBe('')
    expect(quiet.stderr()).toBe('')

    const lines = json.stdout().trimEnd().split('\n')
    const events = lines.map((line) => JSON.parse(line) as { event: string; error?: string })
    expect(events.map((e) => e.event)).toEqual(
      expect.arrayContaining(['worker:listening', 'job:started', 'job:finished', 'job:failed', 'worker:stopped']),
    )
    expect(events.find((e) => e.event === 'job:failed')!.error).toBe('Error: broken')
    expect(json.stderr()).toBe('')
    // The handler chain ran in the worker process, and stopped where a handler returned false.
    expect((await failed.refresh()).meta.handled).toEqual(['stop: broken\nsecond line'])
  })

  it('polls when told not to LISTEN, and still runs jobs', async () => {
    const w = pqWorker('poll', '--no-listen', '--verbose', '--name', 'poller')
    await w.waitForOutput(/Worker poller started \(concurrency 1, polling\)/)
    const job = await queue('poll').enqueue('fixtures.add', 4, 4)
    expect(await job.waitForResult({ timeout: 5 })).toBe(8)
    w.kill('SIGTERM')
    expect((await w.exited).code).toBe(0)
  })

  it('rebuilds its LISTEN connection after pg_terminate_backend, and runs jobs committed meanwhile', async () => {
    const w = pqWorker('relisten', '--name', 'relisten')
    await w.waitForOutput(/Listening for work on relisten/)
    await db.pool.query(`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and application_name = 'pq-listen relisten'`)
    const job = await queue('relisten').enqueue('fixtures.add', 5, 5)
    expect(await job.waitForResult({ timeout: 10 })).toBe(10)
    await w.waitForOutput(/LISTEN connection restored/)
    const again = await queue('relisten').enqueue('fixtures.add', 1, 1)
    expect(await again.waitForResult({ timeout: 5 })).toBe(2)
    w.kill('SIGTERM')
    expect((await w.exited).code).toBe(0)
  })
})

describe('signals', () => {
  it('finishes the job in hand on SIGTERM, then exits 0', async () => {
    const job = await queue('sigterm').enqueue('fixtures.sleep', 1500)
    const w = pqWorker('sigterm', '--name', 'sig1')
    await startedBy(job)
    w.kill('SIGTERM')
    const { code } = await w.exited
    expect(code).toBe(0)
    expect(await statusOf(job)).toBe('finished')
    expect(w.stderr()).toContain('stopping after the jobs in hand')
    expect(w.stdout()).toMatch(/Warm shut down\n$/)
  })

  it('puts the job in hand back in its queue on a second signal, then exits 0 at once', async () => {
    const job = await queue('sigtwice').enqueue('fixtures.sleep', 30_000)
    const w = pqWorker('sigtwice', '--name', 'sig2')
    await startedBy(job)
    w.kill('SIGTERM')
    await w.waitForOutput(/stopping after the jobs in hand/, { stream: 'stderr' })
    const t0 = Date.now()
    w.kill('SIGINT')
    expect((await w.exited).code).toBe(0)
    expect(Date.now() - t0).toBeLessThan(5000)
    await job.refresh()
    expect(job.status).toBe('queued')
    expect(job.attempts).toBe(0)
    expect(job.worker).toBeNull()
  })
})

describe('pq-worker --terminate and --stop', () => {
  it('--terminate asks every live worker to stop after its jobs, and blocks until they have', async () => {
    const job = await queue('term').enqueue('fixtures.sleep', 1000)
    const busy = pqWorker('term', '--name', 'term-busy')
    const idle = pqWorker('other', '--name', 'term-idle')
    await startedBy(job)
    await idle.waitForOutput(/Listening for work on other/)
    const term = pqWorker('--terminate')
    expect((await term.exited).code).toBe(0)
    // It returned only once both had deregistered.
    expect((await db.pool.query(`select name from ${schema.name}.worker`)).rows).toEqual([])
    expect(term.stdout()).toMatch(/Asked 2 workers to stop: term-busy, term-idle\nAll stopped/)
    // Blocked until both had stopped: by now both have exited (or are exiting) cleanly.
    expect((await busy.exited).code).toBe(0)
    expect((await idle.exited).code).toBe(0)
    expect(await statusOf(job)).toBe('finished')
  })

  it('--stop NAME stops that worker only; an unknown name is a one-line error and exit 2', async () => {
    const target = pqWorker('stopq', '--name', 'stop-me')
    const bystander = pqWorker('stopq', '--name', 'stay')
    await target.waitForOutput(/Listening/)
    await bystander.waitForOutput(/Listening/)
    const stop = pqWorker('--stop', 'stop-me')
    expect((await stop.exited).code).toBe(0)
    expect((await target.exited).code).toBe(0)

    const unknown = pqWorker('--stop', 'nobody')
    expect((await unknown.exited).code).toBe(2) // bad input, as an unknown job id is
    expect(unknown.stderr()).toBe('pq-worker: no live worker named "nobody" (live: stay)\n')
    bystander.kill('SIGTERM')
    expect((await bystander.exited).code).toBe(0)
  })
})
