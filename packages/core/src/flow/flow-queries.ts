import { sql } from 'kysely'
import type { QueryContext } from '../db/query-context.js'
import type { FlowRow } from '../db/tables.js'

// A flow row is written only together with its steps, in jobInsertMany's statement (see FlowInsert
// there), and deleted by the TTL sweep (jobSweepExpired) once its final job is gone: the reads below
// are all this table needs of its own.

/** One flow by id, or undefined. */
export async function flowFetch(q: QueryContext, p: { id: string }): Promise<FlowRow | undefined> {
  return q.db.withSchema(q.schema).selectFrom('flow').selectAll().where('id', '=', p.id).executeTakeFirst()
}

/** Every flow with this name, newest first (flow_name_idx). */
export async function flowFindByName(q: QueryContext, p: { name: string }): Promise<FlowRow[]> {
  return q.db
    .withSchema(q.schema)
    .selectFrom('flow')
    .selectAll()
    .where('name', '=', p.name)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute()
}

/** A flow with how many of its jobs are in each status. */
export interface FlowListRow {
  id: string
  name: string | null
  queue: string
  created_at: Date
  job_count: number
  /** e.g. { finished: 2, queued: 1 }; jobs already swept are missing from it. */
  statuses: Record<string, number>
}

/** The newest flows first, a page at a time, with their jobs' statuses (the dashboard's flow list). */
export async function flowListWithStatuses(q: QueryContext, p: { offset: number; limit: number }): Promise<FlowListRow[]> {
  const flow = sql.id(q.schema, 'flow')
  const job = sql.id(q.schema, 'job')
  const { rows } = await sql<FlowListRow>`
    select f.id, f.name, f.queue, f.created_at, cardinality(f.job_ids) as job_count,
      coalesce((select jsonb_object_agg(s.status, s.n) from (
        select j.status, count(*) as n from ${job} j where j.id = any(f.job_ids) group by j.status) s), '{}') as statuses
    from ${flow} f order by f.created_at desc, f.id desc offset ${p.offset} limit ${p.limit}`.execute(q.db)
  return rows
}
