// pq's NOTIFY channels (one set per schema) and the SQL of their payloads.
import { sql, type RawBuilder } from 'kysely'

/** The NOTIFY channel on which enqueues wake workers, and schedule changes reach them. */
export const workChannel = (schema: string): string => `pq_${schema}_work`

/** The NOTIFY channel on which completions wake `waitForResult` callers. */
export const doneChannel = (schema: string): string => `pq_${schema}_done`

/** The NOTIFY channel on which workers are asked to stop (pq-worker --stop / --terminate). */
export const controlChannel = (schema: string): string => `pq_${schema}_control`

/**
 * The SQL expression of a work notification's payload for the row's `queue` column:
 * `{"queue":"default"}`. Identical payloads in one transaction are folded by Postgres, so a bulk
 * enqueue wakes each queue's workers once.
 */
export const queueWakePayload = sql<string>`'{"queue":' || to_json(queue)::text || '}'`

/** The payload telling waiting workers of an earlier due time: `{"due":"2030-01-01T00:00:00+00:00"}`. */
export const dueWakePayload = (column: RawBuilder<unknown>) => sql<string>`'{"due":' || to_json(${column})::text || '}'`

/**
 * The notifications for rows a statement made runnable, read from the CTE `relation` (with columns
 * queue, status, scheduled_for): one per queue of its queued rows, and one `due` for the earliest of
 * its scheduled ones.
 */
export const wakeRunnableSql = (schema: string, relation: string) => sql`
  select pg_notify(${workChannel(schema)}, ${queueWakePayload})
  from (select distinct queue from ${sql.id(relation)} where status = 'queued') s
  union all
  select pg_notify(${workChannel(schema)}, ${dueWakePayload(sql`min(scheduled_for)`)})
  from ${sql.id(relation)} where status = 'scheduled' having count(*) > 0`
