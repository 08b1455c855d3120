/**
 * The minimal SQL claim loop pq-bench measures as the ceiling ("limit"): every statement of it, in one
 * place. Not a queue anyone should ship (no retries, no timeouts, no crash recovery): the least a
 * Postgres queue must do per job, so the others' figures read against what the server allows.
 *
 * One table, its primary key the only index: a job is inserted (one row version, one index entry),
 * claimed by an UPDATE setting `locked_by` (one version; HOT when its page has room, as no index
 * covers that column), and deleted once it ran, in batches.
 */
import type pg from 'pg'

/** A job as the claim hands it out. */
export interface LimitJob {
  readonly id: string
  readonly payload: unknown
}

/** The NOTIFY channel of a limit schema: one per schema, so two benches never wake each other. */
export function limitChannel(schema: string): string {
  return `${schema}_jobs`
}

function table(client: pg.ClientBase, schema: string): string {
  return `${client.escapeIdentifier(schema)}.job`
}

/** Creates the schema and its one table (idempotent). */
export async function limitMigrate(client: pg.ClientBase, schema: string): Promise<void> {
  await client.query(`create schema if not exists ${client.escapeIdentifier(schema)}`)
  await client.query(`create table if not exists ${table(client, schema)} (
    id        bigint generated always as identity primary key,
    payload   jsonb not null,
    locked_by text
  )`)
}

export async function limitTruncate(client: pg.ClientBase, schema: string): Promise<void> {
  await client.query(`truncate ${table(client, schema)} restart identity`)
}

/**
 * Inserts jobs and notifies in one statement (one round trip, one commit). pg_notify sits in
 * RETURNING so it runs in the same statement; Postgres folds a transaction's identical notifications
 * into one, so a bulk insert still sends one.
 */
export async function limitInsert(client: pg.ClientBase, schema: string, payloads: readonly unknown[]): Promise<string[]> {
  const text =
    payloads.length === 1
      ? `insert into ${table(client, schema)} (payload) values ($1::jsonb) returning id::text as id, pg_notify($2, '')`
      : `insert into ${table(client, schema)} (payload) select unnest($1::jsonb[]) returning id::text as id, pg_notify($2, '')`
  const value = payloads.length === 1 ? JSON.stringify(payloads[0]) : payloads.map((p) => JSON.stringify(p))
  const { rows } = await client.query<{ id: string }>({
    name: `limit-insert-${payloads.length === 1 ? 1 : 'n'}-${schema}`,
    text,
    values: [value, limitChannel(schema)],
  })
  return rows.map((r) => r.id)
}

/**
 * Claims up to `limit` unclaimed jobs, oldest first. The CTE picks and locks (SKIP LOCKED passes over
 * rows another worker is claiming), MATERIALIZED keeps the planner from merging it into the UPDATE,
 * so LIMIT bounds the rows changed.
 */
export async function limitClaim(client: pg.ClientBase, schema: string, limit: number, worker: string): Promise<LimitJob[]> {
  const job = table(client, schema)
  const { rows } = await client.query<LimitJob>({
    name: `limit-claim-${schema}`,
    text: `with pick as materialized (
        select id from ${job} where locked_by is null order by id limit $1 for update skip locked)
      update ${job} j set locked_by = $2 from pick where j.id = pick.id returning j.id::text as id, j.payload`,
    values: [limit, worker],
  })
  return rows
}

/** Deletes jobs that ran, in id order so two batches never lock rows in opposite orders. */
export async function limitDelete(client: pg.ClientBase, schema: string, ids: readonly string[]): Promise<void> {
  const sorted = [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))
  await client.query({
    name: `limit-delete-${schema}`,
    text: `delete from ${table(client, schema)} where id = any($1::bigint[])`,
    values: [sorted],
  })
}

/** Hands claimed jobs that never ran back (a worker stopping with jobs in its buffer). */
export async function limitRelease(client: pg.ClientBase, schema: string, ids: readonly string[]): Promise<void> {
  await client.query(`update ${table(client, schema)} set locked_by = null where id = any($1::bigint[])`, [ids])
}

/** How many of `ids` are still in the table (claimed or not). */
export async function limitCountStored(client: pg.ClientBase, schema: string, ids: readonly string[]): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `select count(*)::int as n from ${table(client, schema)} where id = any($1::bigint[])`,
    [ids],
  )
  return rows[0]?.n ?? 0
}
