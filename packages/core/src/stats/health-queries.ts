/**
 * Database health for pq-stats, pq-admin ping and the dashboard: whether Postgres answers, and how
 * vacuum keeps up with pq's tables.
 */
import { sql } from 'kysely'
import type { QueryContext } from '../db/query-context.js'

/** Checks that the database answers (pq-admin ping), returning its clock. */
export async function statsPing(q: QueryContext): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`select now() as now`.execute(q.db)
  return rows[0]!.now
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
export async function statsTableHealth(
  q: QueryContext,
): Promise<{ tables: StatsTableHealthRow[]; oldestXactSeconds: number | null; autovacuum: boolean }> {
  const { rows } = await sql<StatsTableHealthRow>`
    select relname as table, n_live_tup::bigint as live, n_dead_tup::bigint as dead, last_vacuum, last_autovacuum, last_analyze, last_autoanalyze
    from pg_stat_user_tables where schemaname = ${q.schema} and relname in ('job', 'queue', 'worker', 'schedule', 'flow', 'job_dependency')
    order by relname`.execute(q.db)
  const {
    rows: [x],
  } = await sql<{ age: number | null; autovacuum: string }>`
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
  if (!h.autovacuum)
    out.push(
      "autovacuum is off on this server: dead rows of finished jobs are never cleaned up and plans lose their statistics; turn it on, or VACUUM ANALYZE pq's tables on a timer",
    )
  for (const t of h.tables) {
    if (t.dead > 10_000 && t.dead > t.live * 0.2)
      out.push(
        `table ${t.table} holds ${t.dead.toLocaleString('en-US')} dead rows beside ${t.live.toLocaleString('en-US')} live ones: it is bloating; VACUUM it (or check that autovacuum can keep up)`,
      )
    if (h.autovacuum && t.table === 'job' && !t.last_autovacuum && !t.last_vacuum && t.dead > 1000)
      out.push('table job has never been vacuumed, though it has dead rows')
  }
  if (h.oldestXactSeconds !== null && h.oldestXactSeconds > 300)
    out.push(
      `a transaction has been open for ${Math.round(h.oldestXactSeconds / 60)} minutes: until it ends, vacuum cannot remove any dead row newer than it (see pg_stat_activity)`,
    )
  return out
}
