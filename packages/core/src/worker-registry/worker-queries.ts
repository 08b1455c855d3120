import { sql, type RawBuilder } from 'kysely'
import type { QueryContext } from '../db/query-context.js'
import type { WorkerRow } from '../db/tables.js'
import { controlChannel } from '../db/channels.js'

/** Seconds since its last heartbeat after which a worker no longer counts as live (a running worker beats every 15 s at most). */
export const DEFAULT_LIVE_SECONDS = 60

/**
 * pq's one definition of a live worker: not stopped, and heard from within `liveSeconds` by the
 * database clock. `table` qualifies the columns where a statement needs it (an upsert's target).
 */
export const workerLiveSql = (liveSeconds: number, table?: RawBuilder<unknown>): RawBuilder<boolean> => {
  const col = (name: string) => (table ? sql`${table}.${sql.id(name)}` : sql.id(name))
  return sql<boolean>`(${col('state')} <> 'stopped' and ${col('heartbeat_at')} >= now() - ${liveSeconds} * interval '1 second')`
}

/** A worker row with whether it is live (see `workerLiveSql`). */
export type WorkerListRow = WorkerRow & { live: boolean }

/** Parameters of `workerRegister`. */
export interface WorkerRegisterParams {
  name: string
  host: string
  pid: number
  queues: string[]
  concurrency: number
  listenMode: 'listen' | 'poll'
}

/**
 * Registers a worker, or takes over the row of a dead one by the same name. Returns false when a live
 * worker (heartbeat within `liveSeconds`) already holds the name, unless it is the process
 * `replacesPid` on this same host, which the caller has found gone (a restart after kill -9).
 */
export async function workerRegister(
  q: QueryContext,
  p: WorkerRegisterParams & { liveSeconds: number; replacesPid?: number },
): Promise<boolean> {
  const worker = sql.id(q.schema, 'worker')
  const { rows } = await sql<{ name: string }>`
    insert into ${worker} (name, host, pid, queues, state, concurrency, listen_mode)
    values (${p.name}, ${p.host}, ${p.pid}, ${p.queues}::text[], 'starting', ${p.concurrency}, ${p.listenMode})
    on conflict (name) do update set host = excluded.host, pid = excluded.pid, queues = excluded.queues,
      state = 'starting', concurrency = excluded.concurrency, listen_mode = excluded.listen_mode,
      birth_at = now(), heartbeat_at = now(), successful_count = 0, failed_count = 0,
      working_seconds = 0, stop_requested = false
    where not ${workerLiveSql(p.liveSeconds, worker)}
      or (${worker}.host = ${p.host} and ${worker}.pid = ${p.replacesPid ?? null}::int)
    returning name`.execute(q.db)
  return rows.length === 1
}

/** Where the worker holding a name runs (host, pid), or undefined when no row has it. */
export async function workerWhere(q: QueryContext, p: { name: string }): Promise<{ host: string; pid: number } | undefined> {
  const row = await q.db.withSchema(q.schema).selectFrom('worker').select(['host', 'pid']).where('name', '=', p.name).executeTakeFirst()
  return row ? { host: row.host, pid: Number(row.pid) } : undefined
}

/** Parameters of `workerHeartbeat`. */
export interface WorkerHeartbeatParams {
  name: string
  state: 'idle' | 'busy' | 'stopping'
  listenMode: 'listen' | 'poll'
  /** Counts since the last heartbeat, added to the totals. */
  successful: number
  failed: number
  workingSeconds: number
  /** The worker's latency histograms (Worker.metrics()), read by the dashboard's /metrics. */
  metrics?: unknown
}

/**
 * Records that a worker is alive, adds its recent counts, and returns whether it was asked to stop;
 * undefined when its row is gone (another worker declared it lost), so it can register again.
 */
export async function workerHeartbeat(q: QueryContext, p: WorkerHeartbeatParams): Promise<{ stopRequested: boolean } | undefined> {
  const worker = sql.id(q.schema, 'worker')
  const { rows } = await sql<{ stop_requested: boolean }>`
    update ${worker} set heartbeat_at = now(), state = ${p.state}, listen_mode = ${p.listenMode},
      successful_count = successful_count + ${p.successful}, failed_count = failed_count + ${p.failed},
      working_seconds = working_seconds + ${p.workingSeconds},
      metrics = coalesce(${p.metrics === undefined ? null : JSON.stringify(p.metrics)}::jsonb, metrics)
    where name = ${p.name}
    returning stop_requested`.execute(q.db)
  return rows[0] ? { stopRequested: rows[0].stop_requested } : undefined
}

/** Removes a worker's row as it exits cleanly. */
export async function workerDeregister(q: QueryContext, p: { name: string }): Promise<void> {
  await q.db.withSchema(q.schema).deleteFrom('worker').where('name', '=', p.name).execute()
}

/**
 * Registered workers, by name, each marked live or not (`liveSeconds`, default 60); with `onlyLive`,
 * only the live ones: a worker killed without a word keeps its row until another worker reaps it.
 */
export async function workerList(q: QueryContext, p: { liveSeconds?: number; onlyLive?: boolean } = {}): Promise<WorkerListRow[]> {
  const live = workerLiveSql(p.liveSeconds ?? DEFAULT_LIVE_SECONDS)
  let query = q.db.withSchema(q.schema).selectFrom('worker').selectAll().select(live.as('live'))
  if (p.onlyLive) query = query.where(live)
  return query.orderBy('name').execute()
}

/**
 * Asks live workers to stop after their current jobs (all of them when `names` is null) and wakes
 * them through the control channel. A worker silent for `liveSeconds` is dead, not asked: nothing
 * would ever answer for it. Returns the names asked.
 */
export async function workerRequestStop(q: QueryContext, p: { names: string[] | null; liveSeconds: number }): Promise<string[]> {
  const worker = sql.id(q.schema, 'worker')
  const { rows } = await sql<{ name: string }>`
    with asked as (
      update ${worker} set stop_requested = true
      where (${p.names === null} or name = any(${p.names ?? []}::text[])) and ${workerLiveSql(p.liveSeconds)}
      returning name
    ),
    notified as (
      select pg_notify(${controlChannel(q.schema)}, json_build_object('stop', name)::text) from asked
    )
    select name, (select count(*) from notified) as notified from asked`.execute(q.db)
  return rows.map((r) => r.name)
}

/**
 * Names of workers among these still registered and heard from within `liveSeconds`: one killed
 * without a word keeps its row until another worker reaps it, but counts as gone here.
 */
export async function workerAlive(q: QueryContext, p: { names: string[]; liveSeconds: number }): Promise<string[]> {
  if (p.names.length === 0) return []
  const rows = await q.db
    .withSchema(q.schema)
    .selectFrom('worker')
    .select('name')
    .where('name', '=', sql<string>`any(${p.names}::text[])`)
    .where(workerLiveSql(p.liveSeconds))
    .execute()
  return rows.map((r) => r.name)
}

/**
 * Sends a notification through the pool, as an enqueue's would travel: the LISTEN self-test, which
 * must not go out on the LISTEN connection itself (a transaction-mode pooler delivers that one only).
 */
export async function workerNotifyProbe(q: QueryContext, p: { channel: string; payload: string }): Promise<void> {
  await sql`select pg_notify(${p.channel}, ${p.payload})`.execute(q.db)
}
