import { describe, expect, it, afterEach } from '@jest/globals'
import { DateTime } from 'luxon'
import { Queue, Schedule } from '@pq/core'
import { useTestDatabase, FIXTURES_PATH, nextEvent, waitFor } from '@pq/core/testing'
import { Worker, type WorkerOptions } from '@pq/worker'

const db = useTestDatabase()
const workers: Worker[] = []
const worker = (options: WorkerOptions = {}) => {
  const w = new Worker({ connection: db.url, path: FIXTURES_PATH, migrate: false, ...options })
  workers.push(w)
  return w
}
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('now')))
})

describe('workers fire schedules', () => {
  it('turn each due run into exactly one job, however many workers run', async () => {
    const q = new Queue('sched-once', { connection: db.url })
    const schedules = await Promise.all(
      Array.from({ length: 20 }, (_, i) => q.scheduleCall(DateTime.utc().minus({ seconds: 1 }), { func: 'fixtures.add', args: [i, 0] })),
    )
    const three = [worker({ queues: ['sched-once'] }), worker({ queues: ['sched-once'] }), worker({ queues: ['sched-once'] })]
    for (const w of three) void w.work()
    const { rows } = await waitFor(
      async () => {
        const res = await db.pool.query(
          `select schedule_id, count(*)::int as n from pq.job where queue = 'sched-once' group by schedule_id`,
        )
        return res.rows.length === 20 ? res : undefined
      },
      { what: '20 scheduled jobs' },
    )
    expect(rows.every((r: { n: number }) => r.n === 1)).toBe(true)
    for (const s of schedules) expect((await Schedule.get(s.id, { connection: db.url }))!.runCount).toBe(1)
    await waitFor(async () => (await q.count(['finished'])) === 20, { what: 'the jobs to finish' })
  })

  it('a waiting worker sleeps until the due time and fires within a second of it', async () => {
    const w = worker({ queues: ['sched-wake'], workerTtl: 60, maintenanceInterval: 60 })
    void w.work()
    await nextEvent(w, 'worker:idle')
    const due = DateTime.utc().plus({ milliseconds: 1500 })
    const q = new Queue('sched-wake', { connection: db.url })
    await q.scheduleCall(due, { func: 'fixtures.add', args: [1, 2] })
    const job = await nextEvent<{ origin: string }>(w, 'job:started', { timeoutMs: 10_000 })
    const late = DateTime.utc().diff(due).as('milliseconds')
    expect(job.origin).toBe('sched-wake')
    expect(late).toBeGreaterThanOrEqual(0)
    expect(late).toBeLessThan(1000)
  })

  it('keeps a schedule going when a run fails', async () => {
    const q = new Queue('sched-fail', { connection: db.url })
    const s = await q.scheduleCall('now', { func: 'fixtures.fail', repeat: 1, interval: 1 })
    void worker({ queues: ['sched-fail'] }).work()
    await waitFor(async () => (await q.count(['failed'])) === 2, { what: 'two failed runs', timeoutMs: 10_000 })
    const done = (await Schedule.get(s.id, { connection: db.url }))!
    expect(done.runCount).toBe(2)
    expect(done.nextRunAt).toBeNull()
  })
})
