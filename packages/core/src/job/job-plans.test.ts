// The plans (not timings) of the hot path and maintenance statements, on the tables they must stay
// index scans on: one never analyzed holding 100,000 queued jobs, an analyzed one holding a
// benchmark's backlog, and one holding many finished jobs. Each statement is pq's own SQL, sent
// as EXPLAIN through a stand-in client (planned on the real database, never run).
import { describe, expect, it, beforeAll } from '@jest/globals'
import type pg from 'pg'
import { migrate } from '../migrate/migrator.js'
import { queryContext, type QueryContext } from '../db/query-context.js'
import { statsQueueCounts, statsOldestQueued } from '../stats/stats-queries.js'
import { useTestDatabase } from '../testing/index.js'
import { jobClaim, jobClaimFrom } from './job-claim.js'
import { jobFinishMany, jobReleaseDependents } from './job-finish.js'
import { jobDiscardExpired, jobPromoteDue, jobReleaseStuckDependents, jobRescueLost, jobSweepExpired } from './job-maintenance.js'

const db = useTestDatabase()
const QUEUED = 100_000
const FINISHED = 300_000
const BACKLOG = 20_000

/** A context whose every statement is EXPLAINed on `pool` instead of run; returns the plans in order. */
function explaining(pool: pg.Pool, schema: string): { ctx: QueryContext; plans: string[] } {
  const plans: string[] = []
  const explain = async (text: string, values: unknown[] = []) => {
    const { rows } = await pool.query(`explain ${text}`, values)
    plans.push(rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'))
    return { rows: [], command: 'SELECT', rowCount: 0, fields: [] }
  }
  const client = {
    query: (config: string | { text: string; values?: unknown[] }, values?: unknown[]) =>
      typeof config === 'string' ? explain(config, values) : explain(config.text, config.values),
    release: () => {},
  }
  return { ctx: queryContext(client as unknown as pg.Client, schema), plans }
}

/** The maintenance and hot-path statements, each planned once; returns plan text by name. */
async function planAll(pool: pg.Pool, schema: string, queue: string): Promise<Record<string, string>> {
  const { ctx, plans } = explaining(pool, schema)
  const out: Record<string, string> = {}
  const take = async (name: string, run: () => Promise<unknown>) => {
    const before = plans.length
    await run()
    out[name] = plans.slice(before).join('\n----\n')
  }
  await take('claim', () => jobClaim(ctx, { queue, limit: 500, worker: 'w' }))
  await take('claimAny', () => jobClaim(ctx, { queue: null, limit: 500, worker: 'w' }))
  await take('claimFrom', () => jobClaimFrom(ctx, { queues: [queue, 'other'], limit: 500, worker: 'w' }))
  await take('claimOne', () => jobClaimFrom(ctx, { queues: [queue], limit: 500, worker: 'w' }))
  await take('finish', () =>
    jobFinishMany(ctx, {
      worker: 'w',
      releaseSerial: false,
      outcomes: Array.from({ length: 100 }, (_, i) => ({
        id: `${queue}-${i}`,
        status: 'finished' as const,
        result: 'null',
        excInfo: null,
        retryAt: null,
      })),
    }),
  )
  await take('release', () => jobReleaseDependents(ctx, { ids: Array.from({ length: 100 }, (_, i) => `${queue}-${i}`) }))
  await take('sweep', () => jobSweepExpired(ctx, { limit: 1000 }))
  await take('promote', () => jobPromoteDue(ctx, { limit: 1000 }))
  await take('discard', () => jobDiscardExpired(ctx, { limit: 1000 }))
  await take('rescue', () => jobRescueLost(ctx, { heartbeatTimeoutSeconds: 30, own: { worker: 'w', keep: [], olderThanSeconds: 60 } }))
  await take('stuck', () => jobReleaseStuckDependents(ctx, { limit: 1000 }))
  await take('counts', () =>
    statsQueueCounts(ctx, {
      queue: null,
      exact: ['queued', 'started', 'deferred', 'scheduled'],
      capped: ['finished', 'failed'],
      cap: 20_000,
    }),
  )
  await take('oldest', () => statsOldestQueued(ctx, { queue: null }))
  return out
}

/**
 * The index each statement must read `job` through. Statements that stop at a LIMIT in index order
 * (claims, sweep, promote, discard) must read it as a plain index scan, which stops there; the
 * others read small sets (this worker's started rows, picked ids) and may use a bitmap of them.
 */
const scan = (index: string) => new RegExp(`(Index Scan using|Index Only Scan using|Bitmap Index Scan on) ${index}\\b`)
const ordered = (index: string) => new RegExp(`Index (Only )?Scan using ${index} on job`)
const INTENDED: Record<string, RegExp[]> = {
  claim: [ordered('job_claim_idx')],
  // the claims of plain queues then update the rows they locked by tuple id, with no index lookup
  claimAny: [ordered('job_claim_idx'), /Tid Scan on job j\b/],
  claimFrom: [ordered('job_claim_idx')],
  claimOne: [ordered('job_claim_idx'), /Tid Scan on job j\b/],
  // by id, or through the few started rows of this worker
  finish: [/(Index Scan using|Bitmap Index Scan on) (job_pkey|job_started_idx)\b/],
  // the released ids' edges, or the deferred jobs (few here) and each one's edges
  release: [scan('(job_dependency_depends_on_idx|job_deferred_idx)'), scan('job_pkey')],
  sweep: [ordered('job_expires_idx'), scan('job_pkey')],
  // These two are planned from the size of their partial index (waiting jobs with a time): when it
  // holds a few entries, a bitmap of them and a sort of those few; when many, an ordered scan.
  promote: [scan('job_scheduled_idx')],
  discard: [scan('job_discard_idx')],
  rescue: [scan('job_started_idx')],
  stuck: [scan('job_deferred_idx')],
  counts: [scan('job_claim_idx'), scan('job_started_idx'), scan('job_deferred_idx'), scan('job_scheduled_idx'), ordered('job_ended_idx')],
  oldest: [ordered('job_claim_idx')],
}

function expectIndexScans(plans: Record<string, string>, except: readonly string[] = []): void {
  for (const [name, patterns] of Object.entries(INTENDED)) {
    if (except.includes(name)) continue
    const plan = plans[name]!
    for (const p of patterns)
      expect({ name, index: String(p), plan: p.test(plan) ? 'ok' : plan }).toEqual({ name, index: String(p), plan: 'ok' })
    expect({ name, seqScan: /Seq Scan on job\b/.test(plan) ? plan : 'none' }).toEqual({ name, seqScan: 'none' })
    // No statement sorts job rows it read in bulk: the only sorts allowed are of CTE output
    // (ids, queues) and the merge of the per-queue claim scans, each cut at the limit.
    if (name !== 'promote' && name !== 'discard')
      expect({
        name,
        sortsJob: /Sort[^\n]*\n\s+Sort Key[^\n]*\n\s+->\s+(Seq|Bitmap Heap|Index) Scan[^\n]* on job\b/.test(plan) ? plan : 'none',
      }).toEqual({ name, sortsJob: 'none' })
  }
  // The finish reaches each reported job by its id (a key lookup or a hash of the batch), never by
  // comparing every row it scanned with every outcome of the batch: such a nested loop made
  // deleting finished jobs (resultTtl 0) cost batch x started rows, 1.5 s a batch in a 20k drain.
  expect({ finish: /Join Filter: \(j(_\d+)?\.id = i(_\d+)?\.id\)/.test(plans.finish!) ? plans.finish : 'no id join filter' }).toEqual({
    finish: 'no id join filter',
  })
  // The single-queue claim reads the index in claim order: nothing to sort.
  expect(plans.claim).not.toMatch(/Sort/)
  expect(plans.claimOne).not.toMatch(/Sort/)
  // The claims across queues sort only what each queue's scan gave, each cut at the limit.
  for (const name of ['claimAny', 'claimFrom']) expect(plans[name]).toMatch(/Limit[\s\S]*LockRows[\s\S]*Index Scan using job_claim_idx/)
}

describe('statement plans', () => {
  beforeAll(async () => {
    // A fresh schema: its job table was never analyzed, as on a new install or a server whose
    // autovacuum has not run. One INSERT ... SELECT builds the backlog.
    await migrate(db.url, { schema: 'pq_unanalyzed' })
    await db.pool.query(`insert into pq_unanalyzed.queue (name) values ('plan'), ('other')`)
    await db.pool.query(`
      insert into pq_unanalyzed.job (id, queue, func, status, position, created_at, enqueued_at)
      select 'plan-' || g, 'plan', 'fixtures.add', 'queued', g, now(), now() from generate_series(1, ${QUEUED}) g`)
    // Many finished rows (kept: expires_at a day ahead), a few of every live state, then ANALYZE.
    await migrate(db.url, { schema: 'pq_history' })
    await db.pool.query(`insert into pq_history.queue (name) values ('plan'), ('other')`)
    await db.pool.query(`
      insert into pq_history.job (id, queue, func, status, position, created_at, ended_at, expires_at, discard_at, scheduled_for, worker)
      select 'plan-' || g, 'plan', 'fixtures.add', s.status, g, now() - interval '1 hour',
        case when s.status = 'finished' then now() - interval '1 hour' end,
        case when s.status = 'finished' then now() + interval '1 day' end,
        case when s.status = 'queued' and g % 7 = 0 then now() + interval '1 hour' end,
        case when s.status = 'scheduled' then now() + interval '1 hour' end,
        case when s.status = 'started' then 'w' end
      from generate_series(1, ${FINISHED + 400}) g,
        lateral (select case when g > ${FINISHED + 300} then 'queued' when g > ${FINISHED + 200} then 'scheduled'
          when g > ${FINISHED + 100} then 'deferred' when g > ${FINISHED + 90} then 'started' else 'finished' end as status) s`)
    await db.pool.query('analyze pq_history.job')
    // A backlog the size of a benchmark's drain, analyzed (as autovacuum would after the inserts):
    // small enough that a hash join over a sequential scan looks cheap to the planner.
    await migrate(db.url, { schema: 'pq_backlog' })
    await db.pool.query(`insert into pq_backlog.queue (name) values ('plan'), ('other')`)
    await db.pool.query(`
      insert into pq_backlog.job (id, queue, func, status, position, created_at, enqueued_at)
      select 'plan-' || g, 'plan', 'fixtures.add', 'queued', g, now(), now() from generate_series(1, ${BACKLOG}) g`)
    await db.pool.query('analyze pq_backlog.job')
  }, 60_000)

  it(`stay index scans on a never-analyzed table holding ${QUEUED.toLocaleString('en-US')} queued jobs`, async () => {
    const { rows } = await db.pool.query(
      `select last_analyze, last_autoanalyze from pg_stat_user_tables where schemaname = 'pq_unanalyzed' and relname = 'job'`,
    )
    expect(rows[0]).toEqual({ last_analyze: null, last_autoanalyze: null })
    expectIndexScans(await planAll(db.pool, 'pq_unanalyzed', 'plan'))
  })

  it(`stay index scans on an analyzed table holding ${BACKLOG.toLocaleString('en-US')} queued jobs`, async () => {
    // Except the exact count of queued jobs: here every row is one, so reading the table is right.
    expectIndexScans(await planAll(db.pool, 'pq_backlog', 'plan'), ['counts'])
  })

  it(`stay index scans on an analyzed table holding ${FINISHED.toLocaleString('en-US')} finished jobs`, async () => {
    expectIndexScans(await planAll(db.pool, 'pq_history', 'plan'))
  })
})
