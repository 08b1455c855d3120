import { describe, expect, it } from '@jest/globals'
import { useTestDatabase } from '../testing/index.js'
import { migrate, LATEST_VERSION } from './migrator.js'
import { MIGRATIONS } from './migrations.generated.js'
import { Queue } from '../queue/queue.js'
import { queryContext } from '../db/query-context.js'
import { jobClaim } from '../job/job-claim.js'
import { collectQueueStats } from '../stats/queue-stats.js'

const db = useTestDatabase()

describe('migration 0007 (lean job writes, priority)', () => {
  it('upgrades a 0006 schema holding jobs: rows kept, priority 0, old and new jobs claimed in order', async () => {
    await migrate(db.pool, { schema: 'upgrade', migrations: MIGRATIONS.slice(0, 6) })
    await db.pool.query(`insert into upgrade.queue (name) values ('old')`)
    await db.pool.query(`
      insert into upgrade.job (id, queue, func, status, position, created_at, enqueued_at, ended_at, expires_at)
      select 'old-' || g, 'old', 'fixtures.add', s, g, now(), now(),
        case when s = 'finished' then now() end, case when s = 'finished' then now() + interval '1 day' end
      from generate_series(1, 40) g, lateral (select (array['queued', 'finished', 'deferred', 'failed'])[g % 4 + 1] as s) x`)
    await db.pool.query(`select setval('upgrade.job_position_seq', 40)`) // as enqueues would have left it
    const result = await migrate(db.pool, { schema: 'upgrade' })
    expect(result.applied).toEqual([7])
    expect(result.version).toBe(LATEST_VERSION)
    const { rows } = await db.pool.query(
      `select status, count(*)::int as n, min(priority) as lo, max(priority) as hi from upgrade.job group by 1 order by 1`,
    )
    expect(rows).toEqual([
      { status: 'deferred', n: 10, lo: 0, hi: 0 },
      { status: 'failed', n: 10, lo: 0, hi: 0 },
      { status: 'finished', n: 10, lo: 0, hi: 0 },
      { status: 'queued', n: 10, lo: 0, hi: 0 },
    ])
    const indexes = (
      await db.pool.query(`select indexname from pg_indexes where schemaname = 'upgrade' and tablename = 'job' order by 1`)
    ).rows.map((r) => r.indexname)
    expect(indexes).toEqual([
      'job_claim_idx',
      'job_deferred_idx',
      'job_discard_idx',
      'job_ended_idx',
      'job_expires_idx',
      'job_flow_idx',
      'job_pkey',
      'job_scheduled_idx',
      'job_started_idx',
    ])
    const q = new Queue('old', { connection: db.pool, schema: 'upgrade' })
    const urgent = await q.enqueueCall({ func: 'fixtures.add', args: [1], priority: -1 })
    const later = await q.enqueue('fixtures.add', 2)
    const queuedOld = Array.from({ length: 40 }, (_, i) => i + 1)
      .filter((g) => g % 4 === 0)
      .map((g) => `old-${g}`)
    expect(await q.jobIds()).toEqual([urgent.id, ...queuedOld, later.id])
    const stats = await collectQueueStats(queryContext(db.pool, 'upgrade'), { queue: 'old', mode: 'exact' })
    expect(stats[0]!.counts).toMatchObject({ queued: 12, finished: 10, deferred: 10, failed: 10, started: 0 })
    const claimed = await jobClaim(queryContext(db.pool, 'upgrade'), { queue: null, limit: 3, worker: 'w' })
    expect(claimed.map((r) => r.id)).toEqual([urgent.id, ...queuedOld.slice(0, 2)])
  })
})
