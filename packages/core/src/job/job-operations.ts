// Operations on existing jobs: delete, cancel, requeue, empty a queue, save meta, record a synchronous run.
import { sql } from 'kysely'
import type { DateTime } from 'luxon'
import { timestampOrNull, type QueryContext } from '../db/query-context.js'
import type { JobRow } from '../db/tables.js'
import { workChannel, queueWakePayload } from '../db/channels.js'
import { REQUEUE_STATUSES, WAITING_STATUSES, type JobStatus } from './job-data.js'
import { isWaitingSql, jobExpiresAtSql } from './job-rule-queries.js'

/**
 * Deletes jobs, except started ones (a running job's worker would record an outcome for a row that
 * is gone: it must end first), and cancels everything that depended on them (transitively): a dependency that will
 * never finish must not leave its dependents deferred forever. Returns the deleted ids.
 *
 * Delete first, then cancel, each its own statement: a dependent enqueued at the same moment either
 * committed before the delete took the row (the cancel's fresh snapshot sees its edge) or waited for
 * it and found the row gone (jobInsertMany then treats it as met, as for a finished job with
 * resultTtl 0: a narrow window, after the enqueue's own check that the dependency exists).
 * Cancelling first would leave a dependent committed in between deferred.
 */
export async function jobDelete(q: QueryContext, p: { ids: string[]; now?: DateTime | null }): Promise<string[]> {
  if (p.ids.length === 0) return []
  const job = sql.id(q.schema, 'job')
  const { rows } = await sql<{ id: string }>`
    delete from ${job} where id = any(${p.ids}::text[]) and status <> 'started' returning id`.execute(q.db)
  const deleted = rows.map((x) => x.id)
  if (deleted.length) await jobCancelDependents(q, { ids: deleted, reason: 'a dependency was deleted', now: p.now ?? null })
  return deleted
}

/** Cancels the waiting dependents of these jobs, transitively. Returns the canceled ids. */
export async function jobCancelDependents(q: QueryContext, p: { ids: string[]; reason: string; now: DateTime | null }): Promise<string[]> {
  const job = sql.id(q.schema, 'job')
  const dependency = sql.id(q.schema, 'job_dependency')
  const { rows } = await sql<{ id: string }>`
    with recursive down(id) as (
      select d.job_id from ${dependency} d where d.depends_on = any(${p.ids}::text[])
      union
      select d.job_id from ${dependency} d join down on d.depends_on = down.id
    )
    update ${job} j set status = 'canceled', exc_info = ${`canceled: ${p.reason}`},
      ended_at = coalesce(${timestampOrNull(p.now)}::timestamptz, now()),
      expires_at = ${jobExpiresAtSql(sql`'canceled'`, sql`coalesce(${timestampOrNull(p.now)}::timestamptz, now())`, sql`j.result_ttl`, sql`j.failure_ttl`)}
    from down where j.id = down.id and ${isWaitingSql(sql`j.status`)}
    returning j.id`.execute(q.db)
  return rows.map((x) => x.id)
}

/**
 * Cancels waiting jobs (queued, deferred, scheduled) and their dependents. A started job is not
 * interrupted here. Returns the canceled ids.
 */
export async function jobCancel(q: QueryContext, p: { ids: string[]; now?: DateTime | null }): Promise<string[]> {
  const job = sql.id(q.schema, 'job')
  const { rows } = await sql<{ id: string }>`
    update ${job} set status = 'canceled', exc_info = 'canceled',
      ended_at = coalesce(${timestampOrNull(p.now)}::timestamptz, now()),
      expires_at = ${jobExpiresAtSql(sql`'canceled'`, sql`coalesce(${timestampOrNull(p.now)}::timestamptz, now())`, sql`result_ttl`, sql`failure_ttl`)}
    where id = any(${p.ids}::text[]) and ${isWaitingSql(sql`status`)}
    returning id`.execute(q.db)
  const canceled = rows.map((x) => x.id)
  if (canceled.length)
    canceled.push(...(await jobCancelDependents(q, { ids: canceled, reason: 'a dependency was canceled', now: p.now ?? null })))
  return canceled
}

/**
 * Puts ended jobs (failed, stopped, canceled) back in their queue, at the end, with their attempts
 * reset, and wakes workers. Returns the requeued ids.
 */
export async function jobRequeue(
  q: QueryContext,
  p: { ids: string[]; statuses?: readonly JobStatus[]; now?: DateTime | null },
): Promise<JobRow[]> {
  const job = sql.id(q.schema, 'job')
  const statuses = p.statuses ?? REQUEUE_STATUSES
  const { rows } = await sql<JobRow>`
    with up as (
      update ${job} set status = 'queued', exc_info = null, result = null, worker = null, attempts = 0,
        started_at = null, ended_at = null, expires_at = null, scheduled_for = null,
        enqueued_at = coalesce(${timestampOrNull(p.now)}::timestamptz, now()),
        discard_at = case when ttl is null then null else coalesce(${timestampOrNull(p.now)}::timestamptz, now()) + ttl * interval '1 second' end,
        position = nextval(${sql.lit(`${q.schema}.job_position_seq`)}::regclass)
      where id = any(${p.ids}::text[]) and status = any(${statuses}::text[])
      returning *
    ),
    notified as (
      select pg_notify(${workChannel(q.schema)}, ${queueWakePayload})
      from (select distinct queue from up) s
    )
    select up.*, (select count(*) from notified) as notified from up`.execute(q.db)
  return rows
}

/** Deletes every waiting job of a queue (RQ's `empty`), cancelling their dependents. Returns how many. */
export async function jobEmptyQueue(q: QueryContext, p: { queue: string }): Promise<number> {
  const ids = (
    await q.db
      .withSchema(q.schema)
      .selectFrom('job')
      .select('id')
      .where('queue', '=', p.queue)
      .where('status', 'in', WAITING_STATUSES as JobStatus[])
      .execute()
  ).map((x) => x.id)
  return (await jobDelete(q, { ids })).length
}

/** Replaces a job's meta (a running job's progress report). */
export async function jobSaveMeta(q: QueryContext, p: { id: string; meta: string }): Promise<boolean> {
  const res = await q.db
    .withSchema(q.schema)
    .updateTable('job')
    .set({ meta: sql`${p.meta}::jsonb` })
    .where('id', '=', p.id)
    .executeTakeFirst()
  return Number(res.numUpdatedRows) > 0
}

/** Parameters of `jobRecordOutcome`. */
export interface JobRecordOutcomeParams {
  id: string
  status: 'finished' | 'failed'
  result: string | null // JSON text
  excInfo: string | null
  /** The error's class and message, for the attempt history. */
  errorClass?: string | null
  errorMessage?: string | null
  startedAt: DateTime
  now?: DateTime | null
}

/**
 * Records the outcome of a job run in-process (a Queue with isAsync false): one update, or a delete
 * for a finished job with resultTtl 0.
 */
export async function jobRecordOutcome(q: QueryContext, p: JobRecordOutcomeParams): Promise<JobRow | undefined> {
  const job = sql.id(q.schema, 'job')
  const now = sql`coalesce(${timestampOrNull(p.now)}::timestamptz, now())`
  const { rows } = await sql<JobRow>`
    with gone as (
      delete from ${job} where id = ${p.id} and ${p.status} = 'finished' and result_ttl = 0 returning id
    )
    update ${job} set status = ${p.status}, result = ${p.result}::jsonb, exc_info = ${p.excInfo},
      attempt_log = case when ${p.status} = 'failed' then coalesce(attempt_log, '[]') || jsonb_build_array(jsonb_build_object(
        'attempt', attempts + 1, 'class', ${p.errorClass ?? null}::text, 'message', ${p.errorMessage ?? null}::text,
        'stack', ${p.excInfo}::text, 'at', ${now}, 'worker', 'in-process')) else attempt_log end,
      worker = 'in-process', attempts = attempts + 1, started_at = ${p.startedAt.toJSDate()},
      ended_at = ${now}, enqueued_at = coalesce(enqueued_at, ${now}),
      expires_at = ${jobExpiresAtSql(sql`${p.status}::text`, now, sql`result_ttl`, sql`failure_ttl`)}
    where id = ${p.id} and not exists (select 1 from gone)
    returning *`.execute(q.db)
  return rows[0]
}
