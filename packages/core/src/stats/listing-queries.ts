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
