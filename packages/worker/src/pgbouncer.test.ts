import { describe, expect, it, jest, beforeAll, afterAll, afterEach } from '@jest/globals'
import { DateTime } from 'luxon'
import { Queue, Flow, Schedule, setPreparedStatements, closePools } from '@pq/core'
import { useTestDatabase, FIXTURES_PATH, waitFor, findPgBouncer, startPgBouncer, type PgBouncerHandle } from '@pq/core/testing'
import { Worker } from './worker.js'
import { spawnWorker } from './testing/worker-process.js'

// pq behind a real PgBouncer in transaction mode (issue 13, item 3): started here on a free
// loopback port, in front of the test database's server.
const db = useTestDatabase()
jest.setTimeout(90_000)
const binary = findPgBouncer()
if (!binary && process.env.CI !== 'true') {
  process.stdout.write('pgbouncer.test.ts: skipped, no pgbouncer found; install it (apt-get install pgbouncer) to run it, as CI does\n')
}
const suite = binary || process.env.CI === 'true' ? describe : describe.skip
// The bouncer drops the completion notifications too: the waits poll, and need not wait the default 5 s between checks.
const waitBehindBouncer = { timeout: 20, recheckInterval: 0.2 }

suite('behind PgBouncer in transaction mode', () => {
  let bouncer: PgBouncerHandle
  let url: string
  const workers: Worker[] = []

  beforeAll(async () => {
    if (!binary) throw new Error('CI=true but no pgbouncer binary: .ci/run installs it (apt-get install pgbouncer)')
    bouncer = await startPgBouncer(binary, db.url)
    url = bouncer.via(db.url)
    // The one-line setting the README names (PQ_PREPARED=0 in a bin's environment).
    setPreparedStatements(false)
  })
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop('now')))
  })
  afterAll(async () => {
    await closePools()
    setPreparedStatements(false)
    await bouncer?.stop()
  })

  it('enqueues, claims, completes, fires a schedule and runs a flow, polling since notifications are lost', async () => {
    const warnings: string[] = []
    const q = new Queue('bouncer', { connection: url })
    const jobs = await q.enqueueMany(Array.from({ length: 20 }, (_, i) => ({ func: 'fixtures.add', args: [i, 1] })))
    const single = await q.enqueue('fixtures.add', 40, 2)
    const schedule = await q.scheduleCall(DateTime.utc().minus({ seconds: 1 }), { func: 'fixtures.add', args: [5, 5] })
    const flow = await Flow.run(q, { name: 'bounced' }, (f) => {
      f.enqueue('fixtures.add', 1, 1)
      f.enqueue('fixtures.add', 2, 2)
    })
    const w = new Worker({ queues: ['bouncer'], connection: url, path: FIXTURES_PATH, migrate: false, concurrency: 4, heartbeatTimeout: 5 })
    workers.push(w)
    w.on('warning', (m) => warnings.push(m))
    void w.work()
    expect(await single.waitForResult(waitBehindBouncer)).toBe(42)
    for (const [i, job] of jobs.entries()) expect(await job.waitForResult(waitBehindBouncer)).toBe(i + 1)
    const last = (await Flow.get(flow.id, { connection: url }))!.steps.at(-1)!
    expect(await last.waitForResult(waitBehindBouncer)).toBe(4)
    await waitFor(async () => (await Schedule.get(schedule.id, { connection: url }))?.runCount === 1, {
      what: 'the schedule to fire',
      timeoutMs: 20_000,
    })
    // The self-test notified through the pool and heard nothing: the worker polls (every second).
    expect(w.mode).toBe('poll')
    expect(warnings.join('\n')).not.toMatch(/prepared statement/)
    expect(warnings.join('\n')).toMatch(/polling every 1s/)
  })

  it('serves a pq-worker process with PQ_PREPARED=0 in its environment', async () => {
    const p = spawnWorker(['--no-migrate', 'bouncer-bin', '--name', 'bounced-bin'], {
      DATABASE_URL: url,
      PQ_PATH: FIXTURES_PATH,
      PQ_PREPARED: '0',
    })
    await p.waitForOutput(/polling every 1s/, { stream: 'stderr' })
    const q = new Queue('bouncer-bin', { connection: url })
    const jobs = await q.enqueueMany(Array.from({ length: 10 }, (_, i) => ({ func: 'fixtures.add', args: [i, 0] })))
    for (const [i, job] of jobs.entries()) expect(await job.waitForResult(waitBehindBouncer)).toBe(i)
    p.kill('SIGTERM')
    expect((await p.exited).code).toBe(0)
    expect(p.stderr()).not.toMatch(/prepared statement/)
  })
})
