/**
 * Counts for pq-stats, pq-admin and the dashboard. Read-only statements; none of them is on the hot
 * path, but each must stay fast on a table holding a million finished jobs.
 */
import { sql } from 'kysely'
import type { DateTime } from 'luxon'
import { timestampOrNull, type QueryContext } from '../db/query-context.js'
import type { JobStatus } from '../job/job-data.js'
import type { JobRow } from '../db/tables.js'

/** One (queue, status) count; `capped` when counting stopped at the cap (there are more). */
export interface StatsCountRow {
  queue: string
  status: JobStatus
  n: number
  capped: boolean
}

/** Parameters of `statsQueueCounts`. */
export interface StatsQueueCountsParams {
  /** One queue, or null for every queue in the `queue` table. */
  queue: string | null
  /** States counted in full: the waiting and running ones, which stay small. */
  exact: readonly JobStatus[]
  /** States counted up to `cap` rows only: finished and failed, which grow with history. */
  capped: readonly JobStatus[]
  /** Where capped counting stops; null counts them in full too. */
  cap: number | null
}

/**
 * Counts each queue's jobs per status, each count a range scan of a partial index that holds only
 * that status's rows: job_claim_idx (queued), job_started_idx, job_scheduled_idx, job_deferred_idx,
 * and job_ended_idx (queue, status, created_at) for the ended states. So a queue's 300 queued jobs
 * cost 300 index entries whatever the finished rows number. The status is a literal in each
 * subquery, not a parameter: the planner can use a partial index only for a predicate it can prove
 * from the query text. Finished and failed grow without bound: an exact count of 330,000 finished
 * rows of one queue took 300-550 ms on a 2-core box, so those stop at `cap` rows (LIMIT inside the
 * count, in the index's created_at order, so the scan stops there) and the caller replaces a capped
 * figure with an estimate.
 */
export async function statsQueueCounts(q: QueryContext, p: StatsQueueCountsParams): Promise<StatsCountRow[]> {
  const job = sql.id(q.schema, 'job')
  const queue = sql.id(q.schema, 'queue')
  const limit = p.cap === null ? null : p.cap + 1
  const capped = new Set<string>(p.capped)
  const statuses = [...p.exact, ...p.capped]
  if (statuses.length === 0) return []
  const count = (status: JobStatus) =>
    capped.has(status) && limit !== null
      ? sql`(select count(*) from (select 1 from ${job} j where j.queue = qs.name and j.status = ${sql.lit(status)}
        order by j.created_at limit ${limit}::bigint) x)::int`
      : sql`(select count(*) from ${job} j where j.queue = qs.name and j.status = ${sql.lit(status)})::int`
  const { rows } = await sql<{ queue: string; status: JobStatus; n: number }>`
    with qs as (select name from ${queue} where ${p.queue}::text is null or name = ${p.queue}::text)
    select qs.name as queue, s.status, s.n
    from qs cross join lateral (values ${sql.join(statuses.map((status) => sql`(${sql.lit(status)}, ${count(status)})`))}) s(status, n)
    order by qs.name`.execute(q.db)
  return rows.map((r) => {
    const isCapped = p.cap !== null && capped.has(r.status) && r.n > p.cap
    return { queue: r.queue, status: r.status, n: isCapped ? p.cap! : Number(r.n), capped: isCapped }
  })
}

/**
 * Turns JIT off for the rest of the current transaction. The per-queue count subplans add up to a
 * planner cost above jit_above_cost, and compiling them took 100-200 ms of a 15 ms query.
 */
export async function statsJitOff(q: QueryContext): Promise<void> {
  await sql`set local jit = off`.execute(q.db)
}

/**
 * When each queue's next job (the head of the queue, as workers take it) was created: RQ's oldest
 * job timestamp is its queue's first job. One probe of job_claim_idx per queue, where the oldest by
 * creation time would read every queued row (atFront and priorities put others ahead of it).
 */
export async function statsOldestQueued(q: QueryContext, p: { queue: string | null }): Promise<Map<string, Date>> {
  const job = sql.id(q.schema, 'job')
  const queue = sql.id(q.schema, 'queue')
  const { rows } = await sql<{ queue: string; oldest: Date | null }>`
    select name as queue, (select created_at from ${job} j where j.queue = qs.name and j.status = 'queued'
      order by j.priority, j.position limit 1) as oldest
    from ${queue} qs where ${p.queue}::text is null or name = ${p.queue}::text`.execute(q.db)
  return new Map(rows.filter((r) => r.oldest !== null).map((r) => [r.queue, r.oldest!]))
}

/** Estimated rows per (queue, status) pair, from the planner's statistics. */
export interface StatsEstimateRow {
  queue: string
  status: string
  n: number
}

/**
 * Estimates each (queue, status) pair's rows without touching the table: the frequency that ANALYZE
 * stored in the job_queue_status_stats MCV list times the table's current size (reltuples scaled to
 * the pages the table has now, as the planner does). Empty until the table was analyzed; pairs too
 * rare to be in the list are missing (callers count those exactly).
 */
export async function statsCountEstimates(q: QueryContext): Promise<StatsEstimateRow[]> {
  const { rows } = await sql<StatsEstimateRow>`
    with t as (
      select case when c.relpages > 0 and c.reltuples >= 0
        then c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::int)
        else null end as tuples
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${q.schema} and c.relname = 'job'
    )
    select s.most_common_vals[i][1] as queue, s.most_common_vals[i][2] as status,
      round(s.most_common_freqs[i] * t.tuples)::bigint as n
    from pg_stats_ext s cross join t, generate_subscripts(s.most_common_vals, 1) i
    where s.statistics_schemaname = ${q.schema} and s.statistics_name = 'job_queue_status_stats'
      and t.tuples is not null`.execute(q.db)
  return rows.map((r) => ({ ...r, n: Number(r.n) }))
}

/** How many jobs match a listing's filter (for pagination); `queue`/`status` null match any. */
export async function statsJobCount(q: QueryContext, p: { queue: string | null; status: JobStatus | null }): Promise<number> {
  let query = q.db
    .withSchema(q.schema)
    .selectFrom('job')
    .select((eb) => eb.fn.countAll<number>().as('n'))
  if (p.queue !== null) query = query.where('queue', '=', p.queue)
  if (p.status !== null) query = query.where('status', '=', p.status)
  const row = await query.executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Jobs each worker is running now (status started), by worker name. */
export async function statsStartedByWorker(q: QueryContext): Promise<Map<string, string[]>> {
  // job_started_idx is partial on status = 'started': this reads running jobs only.
  const rows = await q.db
    .withSchema(q.schema)
    .selectFrom('job')
    .select(['worker', 'id'])
    .where('status', '=', 'started')
    .where('worker', 'is not', null)
    .orderBy('started_at')
    .execute()
  const byWorker = new Map<string, string[]>()
  for (const r of rows) byWorker.set(r.worker!, [...(byWorker.get(r.worker!) ?? []), r.id])
  return byWorker
}

/** One bucket of the throughput chart. */
export interface StatsThroughputRow {
  bucket: Date
  finished: number
  failed: number
}

/**
 * Jobs that ended (finished or failed) per `bucketSeconds` over the last `minutes`, oldest first;
 * empty buckets are absent. No index covers ended_at (one would cost every completion an index
 * write), so this scans the table: about 150 ms per million rows here, paid once per dashboard refresh.
 */
export async function statsThroughput(
  q: QueryContext,
  p: { minutes: number; bucketSeconds: number; queue: string | null; now?: DateTime | null },
): Promise<StatsThroughputRow[]> {
  const job = sql.id(q.schema, 'job')
  const { rows } = await sql<StatsThroughputRow>`
    with t as (select coalesce(${timestampOrNull(p.now)}::timestamptz, now()) as now)
    select date_bin(${p.bucketSeconds} * interval '1 second', ended_at, timestamptz '2000-01-01') as bucket,
      count(*) filter (where status = 'finished')::int as finished,
      count(*) filter (where status = 'failed')::int as failed
    from ${job}, t
    where status in ('finished', 'failed') and ended_at > t.now - ${p.minutes} * interval '1 minute'
      and (${p.queue}::text is null or queue = ${p.queue}::text)
    group by 1 order by 1`.execute(q.db)
  return rows
}

/**
 * Jobs whose id starts with `text`, or whose function is `text` (or starts with it), newest first.
 * The id prefix is a range scan of the primary key; the function match scans the table, stopping at
 * `limit` matches (no index on func: one would cost every enqueue an index write).
 */
export async function statsJobSearch(q: QueryContext, p: { text: string; limit: number }): Promise<JobRow[]> {
  const job = sql.id(q.schema, 'job')
  const prefix = `${p.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  const { rows } = await sql<JobRow>`
    (select * from ${job} where id like ${prefix} and id >= ${p.text} order by id limit ${p.limit})
    union
    (select * from ${job} where func like ${prefix} order by created_at desc limit ${p.limit})
    order by created_at desc limit ${p.limit}`.execute(q.db)
  return rows
}
