import { describe, expect, it } from '@jest/globals'
import { Queue } from './queue.js'
import { useTestDatabase } from '../testing/index.js'
import { jobClaim, jobClaimFrom, jobAnyRunnable, jobSerialQueuesReady } from '../job/job-claim.js'
import { collectQueueStats } from '../stats/queue-stats.js'

const db = useTestDatabase()

describe('queue.pause() / resume()', () => {
  it('keeps accepting jobs while no claim of any shape takes them, until resumed', async () => {
    const queue = new Queue('pz-mail', { connection: db.url })
    await queue.enqueue('fixtures.add', 1, 1)
    const pausedAt = await queue.pause()
    expect(pausedAt.isValid).toBe(true)
    const late = await queue.enqueue('fixtures.add', 2, 2)
    expect(late.status).toBe('queued')
    expect(await queue.count()).toBe(2)
    expect(await jobClaim(db.ctx, { queue: 'pz-mail', limit: 10, worker: 'w' })).toEqual([])
    expect((await jobClaim(db.ctx, { queue: null, limit: 10, worker: 'w' })).filter((r) => r.queue === 'pz-mail')).toEqual([])
    expect(await jobClaimFrom(db.ctx, { queues: ['pz-mail'], limit: 10, worker: 'w' })).toEqual([])
    expect(await jobAnyRunnable(db.ctx, { queues: ['pz-mail'] })).toBe(false)
    expect(await queue.resume()).toBe(true)
    expect(await queue.resume()).toBe(false)
    expect((await jobClaimFrom(db.ctx, { queues: ['pz-mail'], limit: 10, worker: 'w' })).map((r) => r.id)).toHaveLength(2)
    await queue.close()
  })

  it('is stored in Postgres: another process sees it, a second pause keeps the first instant, stats show it', async () => {
    const first = new Queue('pz-kept', { connection: db.url })
    const at = await first.pause() // before the queue ever had a job
    await first.close()
    const second = new Queue('pz-kept', { connection: db.url })
    expect(await second.isPaused()).toBe(true)
    expect((await second.pause()).toMillis()).toBe(at.toMillis())
    const [stats] = await collectQueueStats(db.ctx, { queue: 'pz-kept' })
    expect(stats!.pausedAt?.toMillis()).toBe(at.toMillis())
    await second.resume()
    const [after] = await collectQueueStats(db.ctx, { queue: 'pz-kept' })
    expect(after!.pausedAt).toBeNull()
    await second.close()
  })

  it('leaves other queues alone in a claim over several, and a paused serial queue gives nothing', async () => {
    const paused = new Queue('pz-a', { connection: db.url })
    const open = new Queue('pz-b', { connection: db.url })
    const serial = new Queue('pz-serial', { connection: db.url, serial: true })
    await paused.enqueue('fixtures.add', 1, 1)
    const kept = await open.enqueue('fixtures.add', 1, 1)
    await serial.enqueue('fixtures.add', 1, 1)
    await paused.pause()
    await serial.pause()
    expect((await jobClaimFrom(db.ctx, { queues: ['pz-a', 'pz-b', 'pz-serial'], limit: 10, worker: 'w' })).map((r) => r.id)).toEqual([
      kept.id,
    ])
    expect(await jobSerialQueuesReady(db.ctx, { limit: 10 })).not.toContain('pz-serial')
    expect(await jobClaim(db.ctx, { queue: 'pz-serial', limit: 1, worker: 'w' })).toEqual([])
    await Promise.all([paused.close(), open.close(), serial.close()])
  })

  it('keeps each real claim statement one index scan on an unanalyzed table, paused queues or not', async () => {
    const queue = new Queue('pz-plan', { connection: db.url })
    await queue.enqueueMany(Array.from({ length: 2000 }, (_, i) => ({ func: 'fixtures.add', args: [i] })))
    await queue.pause()
    // The claim functions' own SQL, sent as EXPLAIN (planned on the real database, never run).
    const plans: string[] = []
    const explaining = {
      ...db.ctx,
      prepared: async (config: { text: string; values: unknown[] }) => {
        const { rows } = await db.pool.query(`explain ${config.text}`, config.values)
        plans.push(rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'))
        return { rows: [] }
      },
    } as typeof db.ctx
    await jobClaim(explaining, { queue: 'pz-plan', limit: 10, worker: 'w' })
    await jobClaim(explaining, { queue: null, limit: 10, worker: 'w' })
    await jobClaimFrom(explaining, { queues: ['pz-plan', 'pz-other'], limit: 10, worker: 'w' })
    expect(plans).toHaveLength(3)
    for (const plan of plans) expect(plan).toMatch(/Index Scan using job_claim_idx/)
    // (the Sorts of jobClaimFrom and of the every-queue claim merge per-queue index scans, each cut at the limit.)
    // No table scan, and no bitmap over any index but the primary key (the picked ids, a few rows).
    for (const plan of plans) expect(plan).not.toMatch(/Seq Scan on job\b|Bitmap Index Scan on job_(?!pkey\b)/)
    await queue.close()
  })
})
