import { describe, expect, it, afterEach } from '@jest/globals'
import { DateTime } from 'luxon'
import { Queue, Flow, JobFailed, type Job } from '@pq/core'
import { useTestDatabase, FIXTURES_PATH, nextEvent, waitFor } from '@pq/core/testing'
import { Worker, type WorkerOptions } from '@pq/worker'

const db = useTestDatabase()
const workers: Worker[] = []
const queue = (name: string) => new Queue(name, { connection: db.url })
const lookup = () => ({ connection: db.url })
// No maintenance after the first pass unless a test asks: the stuck-dependents safety net must not
// hide a release the completion itself should have made.
const worker = (options: WorkerOptions = {}) => {
  const w = new Worker({
    connection: db.url,
    path: FIXTURES_PATH,
    migrate: false,
    heartbeatTimeout: 5,
    maintenanceInterval: 3600,
    ...options,
  })
  workers.push(w)
  return w
}
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('now')))
})

interface Run {
  id: string
  status: string
  attempts: number
  worker: string | null
  started_at: Date
  ended_at: Date
}
async function runs(ids: readonly string[]): Promise<Run[]> {
  const { rows } = await db.pool.query<Run>('select id, status, attempts, worker, started_at, ended_at from pq.job where id = any($1)', [
    ids,
  ])
  const byId = new Map(rows.map((r) => [r.id, r]))
  return ids.map((id) => byId.get(id)!)
}

describe('flows on workers', () => {
  it('runs the steps strictly in sequence across two workers', async () => {
    const q = queue('seq')
    const flow = await Flow.run(q, { name: 'seq' }, (f) => {
      for (let i = 0; i < 6; i++) f.enqueue('fixtures.sleep', 20)
    })
    for (const w of [worker({ queues: ['seq'], concurrency: 2 }), worker({ queues: ['seq'], concurrency: 2 })]) void w.work()
    const last = (await Flow.get(flow.id, lookup()))!.steps.at(-1)!
    expect(await last.waitForResult({ timeout: 10 })).toBe(20)
    const steps = await runs(flow.jobs)
    for (let i = 1; i < steps.length; i++) {
      expect(steps[i]!.started_at.getTime()).toBeGreaterThanOrEqual(steps[i - 1]!.ended_at.getTime())
    }
    expect(steps.every((s) => s.status === 'finished' && s.attempts === 1)).toBe(true)
    expect((await flow.refresh()).status).toBe('finished')
  })

  it('stops at a step that fails after its retries; requeuing it resumes the flow', async () => {
    const q = queue('resume')
    const flow = await Flow.run(q, (f) => {
      f.enqueue('fixtures.add', 1, 1)
      f.enqueueCall({ func: 'fixtures.failUnlessPassed', retry: { max: 1 } })
      f.enqueue('fixtures.add', 2, 2)
    })
    await worker({ queues: ['resume'], burst: true }).work()
    await flow.refresh()
    expect(flow.status).toBe('failed')
    expect(flow.failedStep?.id).toBe(flow.jobs[1])
    expect(flow.failedStep?.attempts).toBe(2)
    expect(flow.failedStep?.excInfo).toMatch(/not passed yet/)
    expect(flow.steps.map((s) => s.status)).toEqual(['finished', 'failed', 'deferred'])

    await db.pool.query(`update pq.job set meta = '{"pass": true}' where id = $1`, [flow.jobs[1]])
    await flow.failedStep!.requeue()
    expect((await flow.refresh()).status).toBe('started')
    await worker({ queues: ['resume'], burst: true }).work()
    await flow.refresh()
    expect(flow.status).toBe('finished')
    expect(flow.steps.map((s) => s.result)).toEqual([2, 'passed', 4])
  })

  it('runs a schedule step no earlier than its time, once the step before has finished', async () => {
    const q = queue('at')
    const at = DateTime.utc().plus({ milliseconds: 1500 })
    const flow = await Flow.run(q, (f) => {
      f.enqueue('fixtures.add', 1, 1)
      f.enqueueAt(at, 'fixtures.add', 2, 2)
    })
    const w = worker({ queues: ['at'], workerTtl: 60 })
    void w.work()
    const scheduled = (await Flow.get(flow.id, lookup()))!.steps[1]!
    expect(await scheduled.waitForResult({ timeout: 10 })).toBe(4)
    const [first, second] = await runs(flow.jobs)
    expect(second!.started_at.getTime()).toBeGreaterThanOrEqual(at.toMillis())
    expect(second!.started_at.getTime()).toBeGreaterThan(first!.ended_at.getTime())
  })

  it('flow.cancel cancels the steps not yet run while one runs, which finishes', async () => {
    const q = queue('cancel-run')
    const flow = await Flow.run(q, (f) => {
      f.enqueue('fixtures.sleep', 1500) // long enough to cancel the rest while it runs, even on a loaded machine
      f.enqueue('fixtures.add', 1)
      f.enqueue('fixtures.add', 2)
    })
    const w = worker({ queues: ['cancel-run'] })
    const started = nextEvent<Job>(w, 'job:started')
    void w.work()
    expect((await started).id).toBe(flow.jobs[0])
    expect((await flow.cancel()).sort()).toEqual([flow.jobs[1], flow.jobs[2]].sort())
    expect(await flow.steps[0]!.waitForResult({ timeout: 10 })).toBe(1500)
    await flow.refresh()
    expect(flow.steps.map((s) => s.status)).toEqual(['finished', 'canceled', 'canceled'])
    expect(flow.status).toBe('canceled')
  })

  it("is swept with its final job by a worker's maintenance, and kept while that job lives", async () => {
    const q = queue('sweep')
    const flow = await Flow.run(q, (f) => {
      f.enqueue('fixtures.add', 1, 1)
      f.enqueueCall({ func: 'fixtures.add', args: [2, 2], resultTtl: 3600 })
    })
    await worker({ queues: ['sweep'], burst: true }).work()
    await db.pool.query(`update pq.job set expires_at = now() - interval '1 second' where id = $1`, [flow.jobs[0]])
    const w = worker({ queues: ['sweep'], maintenanceInterval: 0.1 })
    void w.work()
    await waitFor(async () => (await runs([flow.jobs[0]!]))[0] === undefined, { what: 'the first step to be swept' })
    const kept = (await Flow.get(flow.id, lookup()))!
    expect(kept.status).toBe('finished')
    expect(kept.steps.map((s) => s.id)).toEqual([flow.jobs[1]])
    await db.pool.query(`update pq.job set expires_at = now() - interval '1 second' where id = $1`, [flow.jobs[1]])
    await waitFor(async () => (await Flow.get(flow.id, lookup())) === undefined, { what: 'the flow to be swept' })
  })
})

describe('dependencies on workers', () => {
  it('fans out and back in across four workers: each job runs once, after all it depends on', async () => {
    const q = queue('fan')
    const root = await q.enqueue('fixtures.sleep', 20)
    const middle = await q.enqueueMany(Array.from({ length: 12 }, () => ({ func: 'fixtures.sleep', args: [30], dependsOn: root })))
    const last = await q.enqueueCall({ func: 'fixtures.add', args: [1, 2], dependsOn: middle })
    expect(middle.every((j) => j.status === 'deferred') && last.status === 'deferred').toBe(true)
    for (let i = 0; i < 4; i++) void worker({ queues: ['fan'], concurrency: 2 }).work()
    expect(await last.waitForResult({ timeout: 10 })).toBe(3)
    const [r, ...rest] = await runs([root.id, ...middle.map((j) => j.id), last.id])
    const mids = rest.slice(0, -1)
    const fin = rest.at(-1)!
    for (const m of mids) expect(m.started_at.getTime()).toBeGreaterThanOrEqual(r!.ended_at.getTime())
    expect(fin.started_at.getTime()).toBeGreaterThanOrEqual(Math.max(...mids.map((m) => m.ended_at.getTime())))
    expect([r!, ...mids, fin].every((x) => x.status === 'finished' && x.attempts === 1)).toBe(true)
    expect(new Set(mids.map((m) => m.worker)).size).toBeGreaterThan(1)
  })

  it('runs a job allowing dependency failure after its dependency failed; others stay deferred', async () => {
    const q = queue('allow')
    const dep = await q.enqueue('fixtures.fail', 'dep broke')
    const lenient = await q.enqueueCall({ func: 'fixtures.add', args: [1, 1], dependsOn: dep, allowDependencyFailure: true })
    const strict = await q.enqueueCall({ func: 'fixtures.add', args: [2, 2], dependsOn: dep })
    await worker({ queues: ['allow'], burst: true }).work()
    expect((await dep.refresh()).status).toBe('failed')
    expect((await lenient.refresh()).result).toBe(2)
    expect((await strict.refresh()).status).toBe('deferred')
    await expect(dep.waitForResult({ timeout: 1 })).rejects.toThrow(JobFailed)
  })

  it('never leaves a dependent deferred when it is enqueued while its dependency is finishing', async () => {
    const q = queue('race')
    for (const w of [worker({ queues: ['race'], concurrency: 8 }), worker({ queues: ['race'], concurrency: 8 })]) {
      const idle = nextEvent(w, 'worker:idle')
      void w.work()
      await idle
    }
    const roots = await q.enqueueMany(Array.from({ length: 300 }, (_, i) => ({ func: 'fixtures.sleep', args: [i % 4] })))
    // Enqueue each root's dependent while the workers churn through the roots: some land before
    // their root starts, some while it finishes, some after.
    const dependents: Job[] = []
    for (const root of roots) {
      dependents.push(await q.enqueueCall({ func: 'fixtures.add', args: [1, 1], dependsOn: root }))
    }
    const ids = dependents.map((d) => d.id)
    await waitFor(
      async () => {
        const { rows } = await db.pool.query(`select count(*)::int as n from pq.job where id = any($1) and status = 'finished'`, [ids])
        return rows[0].n === ids.length
      },
      { what: 'every dependent to finish', timeoutMs: 20_000 },
    ).catch(async (err) => {
      const { rows } = await db.pool.query(`select status, count(*)::int as n from pq.job where id = any($1) group by status`, [ids])
      throw new Error(`${(err as Error).message}: ${JSON.stringify(rows)}`)
    })
    const { rows } = await db.pool.query(
      `select count(*)::int as n from pq.job where id = any($1) and status = 'queued' and enqueued_at = created_at`,
      [ids],
    )
    // Both interleavings happened: some were queued at enqueue (root already finished), most released later.
    expect(rows[0].n).toBeLessThan(ids.length)
  })
})
