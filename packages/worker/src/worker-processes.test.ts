import { describe, expect, it, jest } from '@jest/globals'
import { useTestDatabase, waitFor } from '@pq/core/testing'
import { useWorkerProcesses, type WorkerProcess } from './testing/worker-process.js'

// Real pq-worker processes on the test database: kill -9, several processes sharing queues.
const db = useTestDatabase()
// Each test on its own schema: a worker's sweeps and counts then see only the test's jobs.
const { schema, queue, pqWorker, startedBy } = useWorkerProcesses(db, { runLog: true })
// Spawned bins start in a second or two, slower on a loaded 2-core box: room beyond jest's 30 s.
jest.setTimeout(60_000)

describe('crash recovery', () => {
  it('recovers the jobs of a worker killed with -9: retried if attempts remain, else failed "worker lost"', async () => {
    const retried = await queue('crash').enqueueCall({ func: 'fixtures.sleep', args: [1500], retry: { max: 1 } })
    const lost = await queue('crash').enqueueCall({ func: 'fixtures.sleep', args: [1500] })
    const victim = pqWorker('crash', '--name', 'victim', '--concurrency', '2', '--heartbeat-timeout', '2')
    await startedBy(retried, 'victim')
    await startedBy(lost, 'victim')
    // Killed once both have really begun (a worker marks that a moment after the start): a job
    // that never began would go back to its queue with its attempt unspent instead.
    await waitFor(
      async () =>
        (await db.pool.query(`select count(*)::int as n from ${schema.name}.job where id = any($1) and began`, [[retried.id, lost.id]]))
          .rows[0].n === 2,
      { what: 'both jobs to be marked as begun' },
    )
    victim.kill('SIGKILL')
    expect((await victim.exited).signal).toBe('SIGKILL')
    const rescuer = pqWorker('crash', '--name', 'rescuer', '--heartbeat-timeout', '2')
    expect(await retried.waitForResult({ timeout: 20 })).toBe(1500)
    await lost.refresh()
    expect(lost.status).toBe('failed')
    expect(lost.excInfo).toMatch(/^worker lost 1 time: victim stopped while running this job/)
    expect(retried.attempts).toBe(2)
    expect(retried.worker).toBe('rescuer')
    await rescuer.waitForOutput(/Recovered job .* from lost worker victim/)
    rescuer.kill('SIGTERM')
    expect((await rescuer.exited).code).toBe(0)
  }, 60_000)
})

describe('several worker processes', () => {
  it('never run two jobs of a serial queue at once', async () => {
    const [a, b] = [
      pqWorker('serial', '--name', 'serial-a', '--concurrency', '3'),
      pqWorker('serial', '--name', 'serial-b', '--concurrency', '3'),
    ]
    await a.waitForOutput(/Listening/)
    await b.waitForOutput(/Listening/)
    const jobs = await queue('serial', { serial: true }).enqueueMany(
      Array.from({ length: 16 }, () => ({ func: 'fixtures.logRun', args: [40] })),
    )
    await waitFor(
      async () => {
        const { rows } = await db.pool.query<{ n: number }>(
          `select count(*)::int as n from ${schema.name}.job where id = any($1) and status = 'finished'`,
          [jobs.map((j) => j.id)],
        )
        return rows[0]!.n === jobs.length
      },
      { what: 'the serial jobs to finish', timeoutMs: 20_000 },
    )
    a.kill('SIGTERM')
    b.kill('SIGTERM')
    expect((await a.exited).code).toBe(0)
    expect((await b.exited).code).toBe(0)
    const { rows } = await db.pool.query<{ pid: number; started_at: Date; ended_at: Date }>('select * from fixture_run order by started_at')
    expect(rows).toHaveLength(16)
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.started_at.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.ended_at.getTime())
    // Both processes took turns (the lock's release wakes the other one), so the check above meant something.
    expect(new Set(rows.map((r) => r.pid)).size).toBe(2)
  }, 60_000)

  it('run 5,000 jobs across 4 processes, each exactly once', async () => {
    const calls = Array.from({ length: 5000 }, () => ({ func: 'fixtures.logRun', resultTtl: -1 }))
    const q = queue('bulk')
    for (let i = 0; i < calls.length; i += 1000) await q.enqueueMany(calls.slice(i, i + 1000))
    const t0 = Date.now()
    const procs: WorkerProcess[] = Array.from({ length: 4 }, (_, i) =>
      pqWorker('bulk', '--burst', '--concurrency', '8', '--name', `bulk-${i}`, '--quiet'),
    )
    for (const p of procs) expect((await p.exited).code).toBe(0)
    const seconds = (Date.now() - t0) / 1000
    const { rows: statuses } = await db.pool.query<{ status: string; attempts: number; n: number; exc: string | null }>(
      `select status, attempts, count(*)::int as n, min(exc_info) as exc from ${schema.name}.job where queue = 'bulk' group by 1, 2`,
    )
    expect(statuses).toEqual([{ status: 'finished', attempts: 1, n: 5000, exc: null }])
    const {
      rows: [runs],
    } = await db.pool.query<{ n: number; jobs: number; pids: number }>(
      'select count(*)::int as n, count(distinct job_id)::int as jobs, count(distinct pid)::int as pids from fixture_run',
    )
    expect(runs).toEqual({ n: 5000, jobs: 5000, pids: expect.any(Number) })
    process.stdout.write(`5,000 jobs, 4 processes (${runs!.pids} took part): ${seconds.toFixed(1)} s including start-up\n`)
  }, 120_000)
})
