import { sql } from 'kysely'
import type { QueryContext } from '../db/query-context.js'
import type { QueueRow } from '../db/tables.js'

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
  const queue = sql.id(q.schema, 'queue')
  const rows = sql`select * from unnest(${queues.map((x) => x.name)}::text[], ${queues.map((x) => x.serial)}::boolean[])`
  return queues.some((x) => x.serial)
    ? sql`insert into ${queue} (name, serial) ${rows} on conflict (name) do update set serial = true where excluded.serial and not ${queue}.serial`
    : sql`insert into ${queue} (name, serial) ${rows} on conflict (name) do nothing`
}
