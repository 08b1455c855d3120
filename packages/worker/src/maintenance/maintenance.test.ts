import { describe, expect, it } from '@jest/globals'
import { Queue } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'
import { Maintenance } from './maintenance.js'

const db = useTestDatabase()

describe('Maintenance', () => {
  it('runs the shared sweeps on one of many workers per interval, which sweeps every expired job once', async () => {
    const q = new Queue('leader', { connection: db.url })
    const jobs = await q.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ func: 'fixtures.add', args: [i, i] })))
    await db.pool.query(
      `update pq.job set status = 'finished', ended_at = now() - interval '1 hour', expires_at = now() - interval '1 hour' where id = any($1)`,
      [jobs.map((j) => j.id)],
    )
    const workers = Array.from({ length: 6 }, () => new Maintenance(db.ctx, db.pool, 30, 3600))
    const reports = await Promise.all(workers.map((m) => m.run()))
    expect(reports.filter((r) => r.sweptByThis)).toHaveLength(1)
    expect(reports.reduce((n, r) => n + r.swept, 0)).toBe(5)
    expect(reports.filter((r) => !r.sweptByThis).every((r) => r.swept === 0)).toBe(true)
    // Within the interval nobody takes the pass again; a worker with a short interval does.
    expect((await workers[0]!.run()).sweptByThis).toBe(false)
    expect((await new Maintenance(db.ctx, db.pool, 30, 0).run()).sweptByThis).toBe(true)
    await q.close()
  })
})
