// Reading: job rows by id, by queue and by status, for the API, the CLIs and the dashboard.
import { sql } from 'kysely'
import { type QueryContext } from '../db/query-context.js'
import type { JobRow } from '../db/tables.js'
import { type JobStatus } from './job-data.js'

/** Which of these ids name existing jobs, with their status (for validating dependencies). */
export async function jobStatuses(q: QueryContext, p: { ids: string[] }): Promise<Map<string, JobStatus>> {
  if (p.ids.length === 0) return new Map()
  const rows = await q.db
    .withSchema(q.schema)
    .selectFrom('job')
    .select(['id', 'status'])
    .where('id', '=', sql<string>`any(${p.ids}::text[])`)
    .execute()
  return new Map(rows.map((x) => [x.id, x.status as JobStatus]))
}

/** A job row with the ids it depends on (`Job.dependsOn`). */
export type JobRowWithDependencies = JobRow & { depends_on: string[] }

/** The ids a job depends on, as a column of a select from `job`. */
const dependsOnColumn = (q: QueryContext) =>
  sql<
    string[]
  >`array(select d.depends_on from ${sql.id(q.schema, 'job_dependency')} d where d.job_id = ${sql.id(q.schema, 'job', 'id')} order by d.depends_on)`.as(
    'depends_on',
  )

/** One job by id, with its dependencies, or undefined. */
export async function jobFetch(q: QueryContext, p: { id: string }): Promise<JobRowWithDependencies | undefined> {
  return q.db.withSchema(q.schema).selectFrom('job').selectAll().select(dependsOnColumn(q)).where('id', '=', p.id).executeTakeFirst()
}

/** Jobs by id, with their dependencies, in no particular order. */
export async function jobFetchMany(q: QueryContext, p: { ids: string[] }): Promise<JobRowWithDependencies[]> {
  if (p.ids.length === 0) return []
  return q.db
    .withSchema(q.schema)
    .selectFrom('job')
    .selectAll()
    .select(dependsOnColumn(q))
    .where('id', '=', sql<string>`any(${p.ids}::text[])`)
    .execute()
}

/** How many jobs of a queue are in the given states (queued by default: RQ's `len(queue)`). */
export async function jobCount(q: QueryContext, p: { queue: string; statuses: readonly JobStatus[] }): Promise<number> {
  const row = await q.db
    .withSchema(q.schema)
    .selectFrom('job')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('queue', '=', p.queue)
    .where('status', 'in', p.statuses as JobStatus[])
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Parameters of `jobList`. */
export interface JobListParams {
  queue: string | null
  statuses: readonly JobStatus[]
  offset: number
  limit: number
  /** 'position': the order workers take them (priority, then position); 'newest': newest first. */
  order: 'position' | 'newest'
}

/** A page of jobs of a queue (or every queue) in the given states. */
export async function jobList(q: QueryContext, p: JobListParams): Promise<JobRow[]> {
  let query = q.db
    .withSchema(q.schema)
    .selectFrom('job')
    .selectAll()
    .where('status', 'in', p.statuses as JobStatus[])
  if (p.queue !== null) query = query.where('queue', '=', p.queue)
  query = p.order === 'position' ? query.orderBy('priority').orderBy('position') : query.orderBy('created_at', 'desc').orderBy('id', 'desc')
  return query.offset(p.offset).limit(p.limit).execute()
}

/** Ids of a queue's jobs in the given states, in the order workers take them; every one when `limit` is null. */
export async function jobIdsInQueue(
  q: QueryContext,
  p: { queue: string; statuses: readonly JobStatus[]; offset: number; limit: number | null },
): Promise<string[]> {
  let query = q.db
    .withSchema(q.schema)
    .selectFrom('job')
    .select('id')
    .where('queue', '=', p.queue)
    .where('status', 'in', p.statuses as JobStatus[])
    .orderBy('priority')
    .orderBy('position')
    .offset(p.offset)
  if (p.limit !== null) query = query.limit(p.limit)
  return (await query.execute()).map((x) => x.id)
}

/** Ids of a queue's failed jobs (for requeue-all). */
export async function jobIdsByStatus(q: QueryContext, p: { queue: string | null; status: JobStatus; limit: number }): Promise<string[]> {
  let query = q.db.withSchema(q.schema).selectFrom('job').select('id').where('status', '=', p.status)
  if (p.queue !== null) query = query.where('queue', '=', p.queue)
  const rows = await query.orderBy('position').limit(p.limit).execute()
  return rows.map((x) => x.id)
}
