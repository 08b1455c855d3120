import { sql } from 'kysely'
import type { DateTime } from 'luxon'
import type { QueryContext } from '../db/query-context.js'
import type { ScheduleRow } from '../db/tables.js'
import { workChannel, dueWakePayload } from '../db/channels.js'
import { queueEnsureSql } from '../queue/queue-queries.js'

const ts = (d: DateTime | null) => (d ? d.toJSDate() : null)

/** One schedule row to insert, validated. */
export interface ScheduleInsertRow {
  id: string
  queue: string
  func: string
  args: string // JSON text
  kwargs: string // JSON text
  options: string // JSON text: the enqueue options of each run's job
  anchorAt: DateTime
  repeat: number
  untilAt: DateTime | null
  interval: string | null
  between: string | null
  weekdays: number[] | null
  cron: string | null
  tz: string
  nextK: number | null
  nextRunAt: DateTime | null
}

/**
 * Inserts a schedule, creates its queue row if missing, and tells waiting workers its first run time
 * (they sleep until the earliest due time they know). One statement; inside the caller's
 * transaction, the schedule and the notification commit or roll back with it.
 */
export async function scheduleInsert(q: QueryContext, p: { row: ScheduleInsertRow; serial: boolean }): Promise<ScheduleRow> {
  const schedule = sql.id(q.schema, 'schedule')
  const r = p.row
  const { rows } = await sql<ScheduleRow>`
    with new_queue as (${queueEnsureSql(q, [{ name: r.queue, serial: p.serial }])}),
    ins as (
      insert into ${schedule} (id, queue, func, args, kwargs, options, anchor_at, repeat, until_at, interval,
        between, weekdays, cron, tz, next_k, next_run_at)
      values (${r.id}, ${r.queue}, ${r.func}, ${r.args}::jsonb, ${r.kwargs}::jsonb, ${r.options}::jsonb,
        ${ts(r.anchorAt)}, ${r.repeat}, ${ts(r.untilAt)}, ${r.interval}, ${r.between}, ${r.weekdays}::smallint[],
        ${r.cron}, ${r.tz}, ${r.nextK ?? 0}, ${ts(r.nextRunAt)})
      returning *
    ),
    notified as (
      select pg_notify(${workChannel(q.schema)}, ${dueWakePayload(sql`next_run_at`)})
      from ins where next_run_at is not null
    )
    select ins.*, (select count(*) from notified) as notified from ins`.execute(q.db)
  return rows[0]!
}

/** One schedule by id. */
export async function scheduleFetch(q: QueryContext, p: { id: string }): Promise<ScheduleRow | undefined> {
  return q.db.withSchema(q.schema).selectFrom('schedule').selectAll().where('id', '=', p.id).executeTakeFirst()
}

/**
 * Schedules, soonest next run first (exhausted and canceled last), optionally of one queue; for
 * Schedule.list, pq-schedule list and the dashboard. The id breaks ties, so pages never overlap.
 */
export async function scheduleList(
  q: QueryContext,
  p: { queue: string | null; includeEnded: boolean; offset: number; limit: number },
): Promise<ScheduleRow[]> {
  let query = q.db.withSchema(q.schema).selectFrom('schedule').selectAll()
  if (p.queue !== null) query = query.where('queue', '=', p.queue)
  if (!p.includeEnded) query = query.where('next_run_at', 'is not', null)
  return query
    .orderBy(sql`next_run_at asc nulls last`)
    .orderBy('created_at')
    .orderBy('id')
    .offset(p.offset)
    .limit(p.limit)
    .execute()
}

/** Cancels a schedule: no further runs. Returns false when there is no such (live) schedule. */
export async function scheduleCancel(q: QueryContext, p: { id: string }): Promise<boolean> {
  const res = await q.db
    .withSchema(q.schema)
    .updateTable('schedule')
    .set({ canceled_at: sql`now()`, next_run_at: null })
    .where('id', '=', p.id)
    .where('canceled_at', 'is', null)
    .executeTakeFirst()
  return Number(res.numUpdatedRows) > 0
}

/**
 * Locks up to `limit` due schedules for firing. SKIP LOCKED: with several workers, each due run is
 * taken by exactly one of them; the caller advances next_run_at in the same transaction.
 */
export async function scheduleLockDue(q: QueryContext, p: { limit: number; now?: DateTime | null }): Promise<ScheduleRow[]> {
  const schedule = sql.id(q.schema, 'schedule')
  const { rows } = await sql<ScheduleRow>`
    select * from ${schedule}
    where next_run_at <= coalesce(${ts(p.now ?? null)}::timestamptz, now()) and canceled_at is null
    order by next_run_at limit ${p.limit} for update skip locked`.execute(q.db)
  return rows
}

/** Records a fired run and where the schedule goes next (null: exhausted). */
export async function scheduleAdvance(
  q: QueryContext,
  p: { id: string; jobId: string; nextK: number | null; nextRunAt: DateTime | null; now?: DateTime | null },
): Promise<void> {
  const schedule = sql.id(q.schema, 'schedule')
  await sql`
    update ${schedule} set run_count = run_count + 1, last_run_at = coalesce(${ts(p.now ?? null)}::timestamptz, now()),
      last_job_id = ${p.jobId}, next_k = coalesce(${p.nextK}, next_k), next_run_at = ${ts(p.nextRunAt)}
    where id = ${p.id}`.execute(q.db)
}

/** When the earliest live schedule is due, or null. */
export async function scheduleNextDue(q: QueryContext): Promise<Date | null> {
  const row = await q.db
    .withSchema(q.schema)
    .selectFrom('schedule')
    .select((eb) => eb.fn.min('next_run_at').as('next'))
    .where('canceled_at', 'is', null)
    .executeTakeFirst()
  return row?.next ?? null
}
