/**
 * Listings of flows and schedules for the dashboard and pq-admin. They read the `flow` and
 * `schedule` tables directly, so the monitoring shells depend on the schema, not on the flow and
 * schedule APIs.
 */
import { sql } from 'kysely'
import type { QueryContext } from '../db/query-context.js'
import type { ScheduleRow } from '../db/tables.js'

/** A flow with how many of its jobs are in each status. */
export interface StatsFlowRow {
  id: string
  name: string | null
  queue: string
  created_at: Date
  job_count: number
  /** e.g. { finished: 2, queued: 1 }; jobs already swept are missing from it. */
  statuses: Record<string, number>
}

/** The newest flows first, a page at a time, with their jobs' statuses. */
export async function statsFlowList(q: QueryContext, p: { offset: number; limit: number }): Promise<StatsFlowRow[]> {
  const flow = sql.id(q.schema, 'flow')
  const job = sql.id(q.schema, 'job')
  const { rows } = await sql<StatsFlowRow>`
    select f.id, f.name, f.queue, f.created_at, cardinality(f.job_ids) as job_count,
      coalesce((select jsonb_object_agg(s.status, s.n) from (
        select j.status, count(*) as n from ${job} j where j.id = any(f.job_ids) group by j.status) s), '{}') as statuses
    from ${flow} f order by f.created_at desc, f.id desc offset ${p.offset} limit ${p.limit}`.execute(q.db)
  return rows
}

/** A schedule as the dashboard lists it: the whole row. */
export type StatsScheduleRow = ScheduleRow

/** Schedules by next run (exhausted and canceled ones last), a page at a time, whole rows (for `Schedule`). */
export async function statsScheduleList(q: QueryContext, p: { offset: number; limit: number }): Promise<ScheduleRow[]> {
  return q.db.withSchema(q.schema).selectFrom('schedule').selectAll()
    .orderBy(sql`next_run_at asc nulls last`).orderBy('id')
    .offset(p.offset).limit(p.limit).execute()
}

/** Checks that the database answers (pq-admin ping), returning its clock. */
export async function statsPing(q: QueryContext): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`select now() as now`.execute(q.db)
  return rows[0]!.now
}

/**
 * Jobs whose id starts with `text`, or whose function is `text` (or starts with it), newest first.
 * The id prefix is a range scan of the primary key; the function match scans the table, stopping at
 * `limit` matches (no index on func: one would cost every enqueue an index write).
 */
export async function statsJobSearch(q: QueryContext, p: { text: string; limit: number }): Promise<import('../db/tables.js').JobRow[]> {
  const job = sql.id(q.schema, 'job')
  const prefix = `${p.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  const { rows } = await sql<import('../db/tables.js').JobRow>`
    (select * from ${job} where id like ${prefix} and id >= ${p.text} order by id limit ${p.limit})
    union
    (select * from ${job} where func like ${prefix} order by created_at desc limit ${p.limit})
    order by created_at desc limit ${p.limit}`.execute(q.db)
  return rows
}

/** One of pq's tables as the statistics collector sees it. */
export interface StatsTableHealthRow {
  table: string
  live: number
  dead: number
  last_vacuum: Date | null
  last_autovacuum: Date | null
  last_analyze: Date | null
  last_autoanalyze: Date | null
}

/**
 * Live and dead tuples and the last (auto)vacuum and (auto)analyze of pq's tables, and the age in
 * seconds of the oldest open transaction (or prepared one, or replication slot) holding back the xmin
 * horizon, which keeps vacuum from removing dead rows however often it runs.
 */
export async function statsTableHealth(q: QueryContext): Promise<{ tables: StatsTableHealthRow[]; oldestXactSeconds: number | null; autovacuum: boolean }> {
  const { rows } = await sql<StatsTableHealthRow>`
    select relname as table, n_live_tup::bigint as live, n_dead_tup::bigint as dead, last_vacuum, last_autovacuum, last_analyze, last_autoanalyze
    from pg_stat_user_tables where schemaname = ${q.schema} and relname in ('job', 'queue', 'worker', 'schedule', 'flow', 'job_dependency')
    order by relname`.execute(q.db)
  const { rows: [x] } = await sql<{ age: number | null; autovacuum: string }>`
    select extract(epoch from now() - least(
      (select min(xact_start) from pg_stat_activity where backend_xmin is not null and pid <> pg_backend_pid()),
      (select min(prepared) from pg_prepared_xacts)))::float8 as age,
      current_setting('autovacuum') as autovacuum`.execute(q.db)
  return {
    tables: rows.map((r) => ({ ...r, live: Number(r.live), dead: Number(r.dead) })),
    oldestXactSeconds: x?.age ?? null,
    autovacuum: x?.autovacuum === 'on',
  }
}

/** Plain-words warnings about table health: autovacuum off or never run, dead rows piling up, an old transaction. */
export function tableHealthWarnings(h: Awaited<ReturnType<typeof statsTableHealth>>): string[] {
  const out: string[] = []
  if (!h.autovacuum) out.push('autovacuum is off on this server: dead rows of finished jobs are never cleaned up and plans lose their statistics; turn it on, or VACUUM ANALYZE pq\'s tables on a timer')
  for (const t of h.tables) {
    if (t.dead > 10_000 && t.dead > t.live * 0.2) out.push(`table ${t.table} holds ${t.dead.toLocaleString('en-US')} dead rows beside ${t.live.toLocaleString('en-US')} live ones: it is bloating; VACUUM it (or check that autovacuum can keep up)`)
    if (h.autovacuum && t.table === 'job' && !t.last_autovacuum && !t.last_vacuum && t.dead > 1000) out.push('table job has never been vacuumed, though it has dead rows')
  }
  if (h.oldestXactSeconds !== null && h.oldestXactSeconds > 300) out.push(`a transaction has been open for ${Math.round(h.oldestXactSeconds / 60)} minutes: until it ends, vacuum cannot remove any dead row newer than it (see pg_stat_activity)`)
  return out
}
