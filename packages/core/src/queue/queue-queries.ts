import { sql } from 'kysely'
import type { QueryContext } from '../db/query-context.js'
import type { QueueRow } from '../db/tables.js'
import { workChannel, queueWakePayload } from '../db/channels.js'

/** Every queue row, by name. */
export async function queueList(q: QueryContext, _p: Record<string, never>): Promise<QueueRow[]> {
  return q.db.withSchema(q.schema).selectFrom('queue').selectAll().orderBy('name').execute()
}

/**
 * Frees serial locks whose job is no longer running (deleted, or recovered from a lost worker).
 * Safe beside claims: a claim sets the lock and starts its job in one statement, so this never sees
 * one without the other.
 */
export async function queueReleaseStaleSerialLocks(q: QueryContext): Promise<number> {
  const queue = sql.id(q.schema, 'queue')
  const job = sql.id(q.schema, 'job')
  const res = await sql`
    update ${queue} q set serial_job_id = null
    where q.serial_job_id is not null
      and not exists (select 1 from ${job} j where j.id = q.serial_job_id and j.status = 'started')`.execute(q.db)
  return Number(res.numAffectedRows ?? 0)
}

/**
 * The CTE body that creates missing queue rows for an insert of jobs or schedules. Plain queues use
 * DO NOTHING, which takes no lock on an existing row: DO UPDATE would lock the queue's row until
 * the caller commits, so one open transaction that enqueued would stall every other producer of
 * that queue. Only a serial declaration updates the row, to set its flag once.
 */
export function queueEnsureSql(q: QueryContext, queues: readonly { name: string; serial: boolean }[]) {
  return queueEnsureFromArraysSql(
    q,
    queues.map((x) => x.name),
    queues.map((x) => x.serial),
    queues.some((x) => x.serial),
  )
}

/**
 * queueEnsureSql with the names and serial flags given as the values of two arrays (or `slot`s
 * standing for them, in a statement compiled once); `anySerial` picks the statement.
 */
export function queueEnsureFromArraysSql(q: { schema: string }, names: unknown, serials: unknown, anySerial: boolean) {
  const queue = sql.id(q.schema, 'queue')
  const rows = sql`select * from unnest(${names}::text[], ${serials}::boolean[])`
  return anySerial
    ? sql`insert into ${queue} (name, serial) ${rows} on conflict (name) do update set serial = true where excluded.serial and not ${queue}.serial`
    : sql`insert into ${queue} (name, serial) ${rows} on conflict (name) do nothing`
}

/**
 * Pauses a queue: workers stop claiming from it; enqueues go on. Creates the queue row when the
 * queue was never enqueued to, so a queue can be paused before its first job. Returns when it was
 * paused (the earlier instant when it already was).
 */
export async function queuePause(q: QueryContext, p: { name: string }): Promise<Date> {
  const queue = sql.id(q.schema, 'queue')
  const { rows } = await sql<{ paused_at: Date }>`
    insert into ${queue} (name, paused_at) values (${p.name}, now())
    on conflict (name) do update set paused_at = coalesce(${queue}.paused_at, excluded.paused_at)
    returning paused_at`.execute(q.db)
  return rows[0]!.paused_at
}

/**
 * Resumes a paused queue and wakes its workers (its jobs waited while it was paused). Returns
 * whether it was paused.
 */
export async function queueResume(q: QueryContext, p: { name: string }): Promise<boolean> {
  const queue = sql.id(q.schema, 'queue')
  const { rows } = await sql<{ name: string }>`
    with resumed as (
      update ${queue} set paused_at = null where name = ${p.name} and paused_at is not null returning name as queue
    ),
    notified as (select pg_notify(${workChannel(q.schema)}, ${queueWakePayload}) from resumed)
    select queue as name, (select count(*) from notified) as notified from resumed`.execute(q.db)
  return rows.length > 0
}

/** Paused queues and since when, by name. */
export async function queuePausedList(q: QueryContext): Promise<Map<string, Date>> {
  const rows = await q.db
    .withSchema(q.schema)
    .selectFrom('queue')
    .select(['name', 'paused_at'])
    .where('paused_at', 'is not', null)
    .execute()
  return new Map(rows.map((r) => [r.name, r.paused_at!]))
}
