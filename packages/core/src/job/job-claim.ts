// Claiming: the statements that hand queued jobs to a worker (FIFO per queue, serial queues one at a time).
import { sql, type RawBuilder } from 'kysely'
import type { DateTime } from 'luxon'
import { compileOnce, runCompiled, runSql, slot, timestampOrNull, type QueryContext } from '../db/query-context.js'
import { CLAIM_ROW_TYPES, claimedRow, type ClaimedJobRow } from './claimed-row.js'

export type { ClaimedJobRow } from './claimed-row.js'

/** Parameters of `jobClaim`. */
export interface JobClaimParams {
  /** The queue to claim from; null claims from every non-serial queue in global order. */
  queue: string | null
  limit: number
  worker: string
  now?: DateTime | null
}

/**
 * Claims up to `limit` runnable jobs of one queue, in order (atFront first, then FIFO), marking them
 * started by `worker`. SKIP LOCKED lets concurrent workers pass over rows another is claiming, so no
 * job goes to two workers; MATERIALIZED keeps the planner from merging the pick into the UPDATE, so
 * LIMIT bounds the rows changed. The pick reads the partial index of queued jobs, which finished
 * rows never enter.
 *
 * A paused queue gives nothing: the claim reads its queue row anyway (for the serial flag), so the
 * pause costs no extra lookup and the pick stays an index scan on job_queued_idx.
 *
 * A serial queue gives at most one job, and only while its lock is free: the claim takes the queue
 * row (SKIP LOCKED) and records the job in it in the same statement. A claim racing it either skips
 * the locked row or, arriving after the commit, re-checks the updated row and finds the lock taken.
 */
export async function jobClaim(q: QueryContext, p: JobClaimParams): Promise<ClaimedJobRow[]> {
  const job = sql.id(q.schema, 'job')
  const queue = sql.id(q.schema, 'queue')
  const now = sql`coalesce(${timestampOrNull(p.now)}::timestamptz, now())`
  if (p.queue === null) {
    // Every queue: the claim index is per queue, so each runnable queue (from the queue table) is
    // read by its own index scan in claim order, and the merge keeps the first `limit` overall.
    const rows = await runSql(
      q,
      sql<ClaimResultRow>`
      with pick as materialized (
        select x.ctid from ${queue} s
        cross join lateral (
          select j.ctid, j.priority, j.position from ${job} j
          where j.queue = s.name and j.status = 'queued'
          order by j.priority, j.position limit ${p.limit} for update of j skip locked
        ) x
        where not s.serial and s.paused_at is null
        order by x.priority, x.position limit ${p.limit}
      )
      update ${job} j set ${claimSet(p.worker, now)}
      where ${pickedRows} and ${commitsWithoutFlush}
      returning ${claimedColumns}`,
      CLAIM_ROW_TYPES,
    )
    return claimedRows(rows).sort(byClaimPosition)
  }
  const rows = await runSql(
    q,
    sql<ClaimResultRow>`
    with info as materialized (
      select coalesce((select serial from ${queue} where name = ${p.queue}), false) as serial,
        exists (select 1 from ${queue} where name = ${p.queue} and paused_at is not null) as paused
    ),
    serial_lock as materialized (
      select name from ${queue}
      where name = ${p.queue} and serial and serial_job_id is null
      for update skip locked
    ),
    pick as materialized (
      select id from ${job}
      where queue = ${p.queue} and status = 'queued' and not (select paused from info)
        and (not (select serial from info) or exists (select 1 from serial_lock))
      order by priority, position
      limit (select case when serial then 1 else ${p.limit}::int end from info)
      for update skip locked
    ),
    take_lock as (
      update ${queue} set serial_job_id = (select id from pick)
      where name in (select name from serial_lock) and exists (select 1 from pick)
    )
    update ${job} j set ${claimSet(p.worker, now)}
    where j.id = any(array(select id from pick)) and ${commitsWithoutFlush}
    returning ${claimedColumns}, (select serial from info) as serial_claim`,
    CLAIM_ROW_TYPES,
  )
  return claimedRows(rows).sort(byClaimPosition)
}

/** Parameters of `jobClaimFrom`. */
export interface JobClaimFromParams {
  /** The queues to claim from, highest priority first. */
  queues: readonly string[]
  limit: number
  worker: string
  now?: DateTime | null
}

/**
 * Claims up to `limit` runnable jobs from several queues in one statement, in priority order: all of
 * a queue's runnable jobs come before any of the next queue's (django-pq's rule), FIFO within each.
 * One round trip however many queues a worker serves, where a claim per queue cost one each.
 *
 * Each queue is read through its own LATERAL index scan with SKIP LOCKED, so every scan stays an
 * index scan on the partial index of queued jobs (paused queues are left out before any scan); a scan may lock up to `limit` rows that the final
 * LIMIT then drops, which other claims skip only until this statement commits. A serial queue gives
 * at most one job, and only while its lock is free, as in `jobClaim`; its lock is taken only if its
 * job survives the final LIMIT.
 */
export async function jobClaimFrom(q: QueryContext, p: JobClaimFromParams): Promise<ClaimedJobRow[]> {
  if (p.queues.length === 0 || p.limit <= 0) return []
  if (p.queues.length === 1) return claimOneQueue(q, { queue: p.queues[0]!, limit: p.limit, worker: p.worker, now: p.now ?? null })
  const job = sql.id(q.schema, 'job')
  const queue = sql.id(q.schema, 'queue')
  const now = sql`coalesce(${timestampOrNull(p.now)}::timestamptz, now())`
  const rows = await runSql(
    q,
    sql<ClaimResultRow>`
    with info as materialized (
      select w.name, w.ord, coalesce(s.serial, false) as serial
      from unnest(${[...p.queues]}::text[]) with ordinality as w(name, ord)
      left join ${queue} s on s.name = w.name
      where s.paused_at is null
    ),
    serial_lock as materialized (
      select name from ${queue}
      where name in (select name from info where serial) and serial_job_id is null
      for update skip locked
    ),
    pick as materialized (
      select x.id, x.queue, x.serial from info i
      cross join lateral (
        select j.id, j.queue, j.priority, j.position, i.ord, i.serial from ${job} j
        where j.queue = i.name and j.status = 'queued'
          and (not i.serial or i.name in (select name from serial_lock))
        order by j.priority, j.position
        limit case when i.serial then 1 else ${p.limit}::int end
        for update of j skip locked
      ) x
      order by x.ord, x.priority, x.position
      limit ${p.limit}::int
    ),
    take_lock as (
      update ${queue} s set serial_job_id = pick.id from pick where s.name = pick.queue and pick.serial
    )
    update ${job} j set ${claimSet(p.worker, now)}
    where j.id = any(array(select id from pick)) and ${commitsWithoutFlush}
    returning ${claimedColumns}, (select serial from info where info.name = j.queue) as serial_claim`,
    CLAIM_ROW_TYPES,
  )
  return claimedRows(rows).sort(byClaimOrder(p.queues))
}

/**
 * The claim of a worker serving one queue (the common case): the pick reads the queue row once and,
 * when the queue is plain and not paused, its claim index in order, with none of the serial lock's
 * CTEs. It cost the server about 0.2 ms less than the general statement, on every wake-up. A serial
 * queue gives nothing here but a row saying so, and is claimed by `jobClaim`, which takes its lock.
 * A queue without a row (deleted by hand) counts as plain and open, as in the general claim.
 */
async function claimOneQueue(
  q: QueryContext,
  p: { queue: string; limit: number; worker: string; now: DateTime | null },
): Promise<ClaimedJobRow[]> {
  const statement = compileOnce(q, `claimOneQueue\0${q.schema}`, () => claimOneQueueSql(q))
  const rows = await runCompiled(
    q,
    statement,
    { queue: p.queue, limit: p.limit, worker: p.worker, now: timestampOrNull(p.now) },
    CLAIM_ROW_TYPES,
  )
  // One row with no job when nothing was claimed: it says whether the queue is serial.
  if (rows.length === 1 && rows[0]!.id === null) {
    return rows[0]!.serial_claim ? jobClaim(q, { queue: p.queue, limit: p.limit, worker: p.worker, now: p.now }) : []
  }
  return claimedRows(rows).sort(byClaimPosition)
}

function claimOneQueueSql(q: QueryContext) {
  const job = sql.id(q.schema, 'job')
  const queue = sql.id(q.schema, 'queue')
  const name = sql`${slot('queue')}::text`
  return sql<ClaimResultRow & { id: string | null; serial_claim: boolean }>`
    with info as materialized (
      select coalesce(bool_or(serial), false) as serial, coalesce(bool_and(paused_at is null), true) as open
      from ${queue} where name = ${name}
    ),
    pick as materialized (
      select ctid from ${job}
      where queue = ${name} and status = 'queued' and (select open and not serial from info)
      order by priority, position
      limit ${slot('limit')}::int
      for update skip locked
    ),
    claimed as (
      update ${job} j set ${claimSet(slot('worker'), sql`coalesce(${slot('now')}::timestamptz, now())`)}
      where ${pickedRows} and ${commitsWithoutFlush}
      returning ${claimedColumns}
    )
    -- info has one row: a row per claimed job (serial_claim false: the queue is plain), or one
    -- without a job, whose serial_claim says whether the queue is serial
    select c.*, i.serial as serial_claim from info i left join claimed c on true`
}

/** Order of the listed queues, then claim order within each. */
const byClaimOrder = (queues: readonly string[]) => (a: ClaimedJobRow, b: ClaimedJobRow) =>
  queues.indexOf(a.queue) - queues.indexOf(b.queue) || byClaimPosition(a, b)

/**
 * The rows a claim of plain queues updates: the versions its pick locked, by their tuple ids (a TID
 * scan), which spares the primary-key lookup of every picked id (about 3.7 ms of a 1,000-row claim)
 * and needs no statistics. A row updated by someone else after the claim's snapshot was taken is
 * locked in its new version, which this snapshot cannot see: it is left queued, for the next claim.
 * Claims that may take a serial queue's lock update by id instead (the UPDATE then follows the row
 * to its new version), so a lock is never taken for a job the claim did not start.
 */
const pickedRows = sql`j.ctid = any(array(select ctid from pick))`

/**
 * Part of every claim's final UPDATE (a one-time filter, true): its transaction commits without
 * waiting for the WAL flush (synchronous_commit off for this transaction only). The flush was about
 * 0.3 ms of every idle wake-up here (a drain, one claim per 500 jobs, showed no difference). Safe
 * because a claim that a server crash takes back only returns its jobs to the queue: the row goes
 * back to queued with its attempt uncounted and is claimed again; no job is lost or finished twice
 * in the database.
 * Every later write of the job (began mark, outcome) commits with the flush, and a flush makes all
 * WAL before it durable, the claim's included, as does any other transaction's commit on the server,
 * or the WAL writer within its delay (200 ms by default). The one effect: a job whose code was already
 * running when the server crashed before such a flush runs again. A clean shutdown flushes everything.
 * fault.test crashes Postgres mid-drain and checks that no job is lost.
 */
const commitsWithoutFlush = sql`(select set_config('synchronous_commit', 'off', true)) is not null`

/** What a claim writes: the job is started by `worker`, one more attempt. */
const claimSet = (worker: unknown, now: RawBuilder<unknown>) =>
  sql`status = 'started', worker = ${worker}, started_at = ${now}, attempts = j.attempts + 1, began = false`

/**
 * What a claim returns per job: every column of the row, decoded by CLAIM_ROW_TYPES (timestamps as
 * ISO strings, which Job turns into DateTimes only when read). `result` is null: every path back to
 * the queue clears it.
 */
const claimedColumns = sql`j.*`

/** A claim statement's row: the job's columns, and whether it holds its serial queue's lock. */
type ClaimResultRow = Record<string, unknown>

const claimedRows = (rows: ClaimResultRow[]): ClaimedJobRow[] => rows.map(claimedRow)

/**
 * Serial queues a worker of every queue could claim from now: lock free and a job queued (the
 * global claim skips serial queues). Empty serial queues are left out, so they cost no claim.
 */
export async function jobSerialQueuesReady(q: QueryContext, p: { limit: number }): Promise<string[]> {
  const job = sql.id(q.schema, 'job')
  const queue = sql.id(q.schema, 'queue')
  const { rows } = await sql<{ name: string }>`
    select s.name from ${queue} s
    where s.serial and s.serial_job_id is null and s.paused_at is null
      and exists (select 1 from ${job} j where j.queue = s.name and j.status = 'queued')
    order by s.name limit ${p.limit}`.execute(q.db)
  return rows.map((r) => r.name)
}

/**
 * Whether any job of these queues (every queue when empty) is queued in a queue that is not paused:
 * burst mode's exit test (a paused queue's jobs would keep a burst worker waiting forever).
 */
export async function jobAnyRunnable(q: QueryContext, p: { queues: readonly string[] }): Promise<boolean> {
  const job = sql.id(q.schema, 'job')
  const queue = sql.id(q.schema, 'queue')
  const { rows } = await sql<{ id: string }>`
    select id from ${job} j
    where status = 'queued' and (${p.queues.length === 0} or queue = any(${[...p.queues]}::text[]))
      and not exists (select 1 from ${queue} s where s.name = j.queue and s.paused_at is not null)
    limit 1`.execute(q.db)
  return rows.length > 0
}

/** Claim order: priority, then position. */
const byClaimPosition = (a: ClaimedJobRow, b: ClaimedJobRow) => a.priority - b.priority || Number(a.position) - Number(b.position)
