import { sql, type RawBuilder } from 'kysely'
import type { DateTime } from 'luxon'
import { runSql, type QueryContext } from '../db/query-context.js'
import type { JobRow } from '../db/tables.js'
import { ATTEMPT_HISTORY_SIZE } from './job.js'
import { workChannel, doneChannel, queueWakePayload, dueWakePayload, wakeRunnableSql } from '../db/schema-name.js'
import { jobExpiresAtSql } from './job-rule-queries.js'

const tsOrNull = (d: DateTime | null | undefined) => (d ? d.toJSDate() : null)
const seq = (q: QueryContext) => sql.lit(`${q.schema}.job_position_seq`)

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
  const now = sql`coalesce(${tsOrNull(p.now)}::timestamptz, now())`
  if (p.queue === null) {
    const rows = await runSql(q, sql<ClaimedJobRow>`
      with pick as materialized (
        select id from ${job} j
        where status = 'queued' and not exists (select 1 from ${queue} s where s.name = j.queue and (s.serial or s.paused_at is not null))
        order by position limit ${p.limit} for update skip locked
      )
      update ${job} j set status = 'started', worker = ${p.worker}, started_at = ${now}, attempts = j.attempts + 1, began = false
      from pick where j.id = pick.id
      returning j.*`)
    return rows.sort(byPosition)
  }
  const rows = await runSql(q, sql<ClaimedJobRow>`
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
      order by position
      limit (select case when serial then 1 else ${p.limit}::int end from info)
      for update skip locked
    ),
    take_lock as (
      update ${queue} set serial_job_id = (select id from pick)
      where name in (select name from serial_lock) and exists (select 1 from pick)
    )
    update ${job} j set status = 'started', worker = ${p.worker}, started_at = ${now}, attempts = j.attempts + 1, began = false
    from pick where j.id = pick.id
    returning j.*, (select serial from info) as serial_claim`)
  return rows.sort(byPosition)
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
  const job = sql.id(q.schema, 'job')
  const queue = sql.id(q.schema, 'queue')
  const now = sql`coalesce(${tsOrNull(p.now)}::timestamptz, now())`
  const rows = await runSql(q, sql<ClaimedJobRow>`
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
        select j.id, j.queue, j.position, i.ord, i.serial from ${job} j
        where j.queue = i.name and j.status = 'queued'
          and (not i.serial or i.name in (select name from serial_lock))
        order by j.position
        limit case when i.serial then 1 else ${p.limit}::int end
        for update of j skip locked
      ) x
      order by x.ord, x.position
      limit ${p.limit}::int
    ),
    take_lock as (
      update ${queue} s set serial_job_id = pick.id from pick where s.name = pick.queue and pick.serial
    )
    update ${job} j set status = 'started', worker = ${p.worker}, started_at = ${now}, attempts = j.attempts + 1, began = false
    from pick where j.id = pick.id
    returning j.*, pick.serial as serial_claim`)
  return rows.sort(byClaimOrder(p.queues))
}

/** Priority order of the listed queues, then position. */
const byClaimOrder = (queues: readonly string[]) => (a: JobRow, b: JobRow) =>
  queues.indexOf(a.queue) - queues.indexOf(b.queue) || byPosition(a, b)

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

/** A claimed row; `serial_claim` says it holds its serial queue's lock until its outcome is recorded. */
export type ClaimedJobRow = JobRow & { serial_claim?: boolean }

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

const byPosition = (a: JobRow, b: JobRow) => Number(a.position) - Number(b.position)

/** One finished run, as the worker reports it. */
export interface JobOutcome {
  id: string
  /** finished; failed (final); queued or scheduled (a retry); canceled (discarded: its ttl passed). */
  status: 'finished' | 'failed' | 'queued' | 'scheduled' | 'canceled'
  result: string | null // JSON text
  excInfo: string | null
  /** For a scheduled retry: when it becomes queued again. */
  retryAt: DateTime | null
  /** A failed attempt's error class and message, for the attempt history (its stack is excInfo). */
  errorClass?: string | null
  errorMessage?: string | null
}

/**
 * SQL appending one entry to a job's attempt_log, keeping the last ATTEMPT_HISTORY_SIZE (10): entries
 * are appended one at a time, so dropping the first one when the log is full keeps it bounded.
 */
const attemptLogAppend = (log: RawBuilder<unknown>, entry: RawBuilder<unknown>) => sql`
  (case when jsonb_array_length(coalesce(${log}, '[]')) >= ${sql.lit(ATTEMPT_HISTORY_SIZE)}
    then coalesce(${log}, '[]') - 0 else coalesce(${log}, '[]') end) || jsonb_build_array(${entry})`

/** A job a completion touched, as `jobFinishMany` reports it. */
export interface JobFinished {
  id: string
  queue: string
  status: string
  has_dependents: boolean
}

/**
 * Records many outcomes in one statement: the hot path's second round trip. Rows are matched only
 * while still started by this worker, so a job recovered from it meanwhile is not overwritten.
 * Finished jobs with resultTtl 0 are deleted outright; others get their expiry. Retries go back to
 * the queue (or wait as scheduled). Serial locks held by these jobs are freed. One notification
 * names the ended jobs for `waitForResult`; one per queue announces retries and freed serial locks
 * (a worker that found the lock taken waits for it).
 */
export async function jobFinishMany(q: QueryContext, p: { worker: string; outcomes: JobOutcome[]; releaseSerial: boolean; now?: DateTime | null }): Promise<JobFinished[]> {
  if (p.outcomes.length === 0) return []
  const job = sql.id(q.schema, 'job')
  const queue = sql.id(q.schema, 'queue')
  // Lock rows in one order everywhere, so two batches can never deadlock on each other.
  const o = [...p.outcomes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const ids = o.map((x) => x.id)
  const rows = await runSql(q, sql<JobFinished>`
    with input as (
      select * from unnest(${ids}::text[], ${o.map((x) => x.status)}::text[], ${o.map((x) => x.result)}::jsonb[],
        ${o.map((x) => x.excInfo)}::text[], ${o.map((x) => tsOrNull(x.retryAt))}::timestamptz[],
        ${o.map((x) => x.errorClass ?? null)}::text[], ${o.map((x) => x.errorMessage ?? null)}::text[])
        as t(id, status, result, exc_info, retry_at, error_class, error_message)
    ),
    now_ as (select coalesce(${tsOrNull(p.now)}::timestamptz, now()) as now),
    gone as (
      delete from ${job} j using input i
      where j.id = i.id and j.status = 'started' and j.worker = ${p.worker} and i.status = 'finished' and j.result_ttl = 0
      returning j.id, j.queue, 'finished'::text as status, j.has_dependents
    ),
    changed as (
      update ${job} j set
        status = i.status,
        result = i.result,
        exc_info = i.exc_info,
        -- a failed attempt (final or retried; not a discard, nor a job put back at a stop) joins the history
        attempt_log = case when i.exc_info is not null and i.status in ('failed', 'queued', 'scheduled')
          then ${attemptLogAppend(sql`j.attempt_log`, sql`jsonb_build_object('attempt', j.attempts, 'class', i.error_class,
            'message', i.error_message, 'stack', i.exc_info, 'at', n.now, 'worker', ${p.worker}::text)`)}
          else j.attempt_log end,
        ended_at = case when i.status in ('queued', 'scheduled') then null else n.now end,
        scheduled_for = case when i.status = 'scheduled' then i.retry_at end,
        enqueued_at = case when i.status = 'queued' then n.now else j.enqueued_at end,
        position = case when i.status = 'queued' then nextval(${seq(q)}::regclass) else j.position end,
        expires_at = ${jobExpiresAtSql(sql`i.status`, sql`n.now`, sql`j.result_ttl`, sql`j.failure_ttl`)}
      from input i, now_ n
      where j.id = i.id and j.status = 'started' and j.worker = ${p.worker}
        and not (i.status = 'finished' and j.result_ttl = 0)
      returning j.id, j.queue, j.status, j.has_dependents
    ),
    unlock as (
      update ${queue} set serial_job_id = null
      where ${p.releaseSerial} and serial_job_id = any(${ids}::text[])
      returning name
    ),
    touched as (select * from gone union all select * from changed),
    ended as (select string_agg(id, ',') as ids from touched where status not in ('queued', 'scheduled')),
    notified as (
      select pg_notify(${doneChannel(q.schema)}, case when length(ids) < 7900 then ids else '*' end)
      from ended where ids is not null
      union all
      select pg_notify(${workChannel(q.schema)}, ${queueWakePayload})
      from (select distinct queue from touched where status = 'queued' union select name from unlock) s
    )
    select touched.*, (select count(*) from notified) as notified from touched`)
  return rows
}

/**
 * Releases the deferred dependents of these jobs whose dependencies have now all finished (or failed,
 * for jobs that allow it): `queued`, or `scheduled` when their `scheduled_for` is still ahead (a
 * flow's schedule step), and wakes their queues (or tells waiting workers the new due time).
 *
 * A statement of its own, after the completion has committed: a dependent enqueued while the
 * completion waited for the dependency's row lock is invisible to the completion's snapshot, but
 * this statement's fresh snapshot sees it (the enqueue set `has_dependents`, which is why the
 * completion called us). Two completions releasing one fan-in job race on its row: the second
 * re-checks `status = 'deferred'` after the first commits and skips it, so it is released once.
 */
export async function jobReleaseDependents(q: QueryContext, p: { ids: string[]; now?: DateTime | null }): Promise<string[]> {
  if (p.ids.length === 0) return []
  const job = sql.id(q.schema, 'job')
  const dependency = sql.id(q.schema, 'job_dependency')
  const rows = await runSql(q, sql<{ id: string }>`
    with now_ as (select coalesce(${tsOrNull(p.now)}::timestamptz, now()) as now),
    released as (
      update ${job} j set
        status = case when j.scheduled_for > n.now then 'scheduled' else 'queued' end,
        enqueued_at = case when j.scheduled_for > n.now then null else n.now end,
        position = nextval(${seq(q)}::regclass)
      from now_ n
      where j.status = 'deferred'
        and j.id in (select job_id from ${dependency} where depends_on = any(${p.ids}::text[]))
        and not exists (
          select 1 from ${dependency} d join ${job} x on x.id = d.depends_on
          where d.job_id = j.id and x.status <> 'finished' and not (j.allow_dependency_failure and x.status = 'failed'))
      returning j.id, j.queue, j.status, j.scheduled_for
    ),
    notified as (
      ${wakeRunnableSql(q.schema, 'released')}
    )
    select id, (select count(*) from notified) as notified from released`)
  return rows.map((r) => r.id)
}

/**
 * Safety net for dependents: queues deferred jobs whose dependencies have all finished, however that
 * came about (a worker that died between completion and release). Run by maintenance.
 */
export async function jobReleaseStuckDependents(q: QueryContext, p: { limit: number }): Promise<number> {
  const job = sql.id(q.schema, 'job')
  const dependency = sql.id(q.schema, 'job_dependency')
  const { rows } = await sql<{ id: string }>`
    with stuck as (
      select j.id from ${job} j
      where j.status = 'deferred' and not exists (
        select 1 from ${dependency} d join ${job} x on x.id = d.depends_on
        where d.job_id = j.id and x.status <> 'finished' and not (j.allow_dependency_failure and x.status = 'failed'))
      limit ${p.limit} for update skip locked
    ),
    released as (
      -- As jobReleaseDependents: a release whose scheduled_for is still ahead waits as scheduled.
      update ${job} j set status = case when j.scheduled_for > now() then 'scheduled' else 'queued' end,
        enqueued_at = case when j.scheduled_for > now() then null else now() end, position = nextval(${seq(q)}::regclass)
      from stuck where j.id = stuck.id returning j.id, j.queue, j.status, j.scheduled_for
    ),
    notified as (
      ${wakeRunnableSql(q.schema, 'released')}
    )
    select id, (select count(*) from notified) as notified from released`.execute(q.db)
  return rows.length
}

/** Moves scheduled jobs whose time has come to their queue, and wakes it. Returns how many. */
export async function jobPromoteDue(q: QueryContext, p: { limit: number; now?: DateTime | null }): Promise<number> {
  const job = sql.id(q.schema, 'job')
  const now = sql`coalesce(${tsOrNull(p.now)}::timestamptz, now())`
  const { rows } = await sql<{ id: string }>`
    with due as (
      select id from ${job} where status = 'scheduled' and scheduled_for <= ${now}
      order by scheduled_for limit ${p.limit} for update skip locked
    ),
    promoted as (
      update ${job} j set status = 'queued', enqueued_at = ${now}, position = nextval(${seq(q)}::regclass)
      from due where j.id = due.id returning j.id, j.queue
    ),
    notified as (
      select pg_notify(${workChannel(q.schema)}, ${queueWakePayload})
      from (select distinct queue from promoted) s
    )
    select id, (select count(*) from notified) as notified from promoted`.execute(q.db)
  return rows.length
}

/** When the earliest scheduled job falls due, or null when none waits. */
export async function jobNextScheduled(q: QueryContext): Promise<Date | null> {
  const row = await q.db.withSchema(q.schema).selectFrom('job')
    .select((eb) => eb.fn.min('scheduled_for').as('next'))
    .where('status', '=', 'scheduled').executeTakeFirst()
  return (row?.next as Date | null | undefined) ?? null
}

/** Discards queued jobs whose ttl passed before any worker started them (status canceled). */
export async function jobDiscardExpired(q: QueryContext, p: { limit: number; now?: DateTime | null }): Promise<string[]> {
  const job = sql.id(q.schema, 'job')
  const now = sql`coalesce(${tsOrNull(p.now)}::timestamptz, now())`
  const { rows } = await sql<{ id: string }>`
    with expired as (
      select id from ${job} where status in ('queued', 'scheduled') and discard_at <= ${now}
      limit ${p.limit} for update skip locked
    )
    update ${job} j set status = 'canceled', ended_at = ${now},
      exc_info = 'discarded: not started within its ttl of ' || j.ttl || 's',
      expires_at = ${jobExpiresAtSql(sql`'canceled'`, now, sql`j.result_ttl`, sql`j.failure_ttl`)}
    from expired where j.id = expired.id returning j.id`.execute(q.db)
  return rows.map((r) => r.id)
}

/**
 * Deletes up to `limit` jobs whose result or failure TTL has passed (django-pq's sweep); a flow goes
 * with its final job (trigger job_flow_final_deleted, migration 0003). Returns how many jobs went.
 * Batched, so it never holds many locks long.
 */
export async function jobSweepExpired(q: QueryContext, p: { limit: number; now?: DateTime | null }): Promise<number> {
  const job = sql.id(q.schema, 'job')
  const now = sql`coalesce(${tsOrNull(p.now)}::timestamptz, now())`
  const { rows } = await sql<{ id: string }>`
    with doomed as (
      select id from ${job} where expires_at <= ${now} limit ${p.limit} for update skip locked
    )
    delete from ${job} j using doomed where j.id = doomed.id returning j.id`.execute(q.db)
  return rows.length
}

/**
 * Recovers the started jobs of workers that stopped heartbeating (kill -9, a lost machine), that no
 * longer exist, or that were restarted under the same name since the job started: each is retried
 * when it has attempts left, else failed with "worker lost". With `own`, also the calling worker's
 * own started jobs it no longer knows of (a claim whose reply was lost with its connection, an
 * outcome it could not record), once they are older than any claim in flight.
 * Deletes the dead workers' rows. Returns the recovered jobs.
 */
export async function jobRescueLost(q: QueryContext, p: { heartbeatTimeoutSeconds: number; own?: JobRescueOwn; now?: DateTime | null }): Promise<{ id: string; status: string; worker: string }[]> {
  const job = sql.id(q.schema, 'job')
  const worker = sql.id(q.schema, 'worker')
  const queue = sql.id(q.schema, 'queue')
  const now = sql`coalesce(${tsOrNull(p.now)}::timestamptz, now())`
  const self = p.own?.worker ?? null
  const { rows } = await sql<{ id: string; status: string; worker: string }>`
    with dead as (
      -- The caller is alive whatever its row says: a heartbeat delayed on a busy machine must not
      -- make a worker take itself for dead and fail the job it is running.
      delete from ${worker}
      where heartbeat_at < ${now} - ${p.heartbeatTimeoutSeconds} * interval '1 second'
        and name is distinct from ${self}
      returning name
    ),
    orphan as (
      select j.id, j.worker from ${job} j
      where j.status = 'started'
        and ((j.worker is distinct from ${self}
              and (j.worker in (select name from dead)
                   or not exists (select 1 from ${worker} w where w.name = j.worker)))
             -- a worker restarted under the same name (--name) is born after the jobs its previous
             -- life left started: those are orphans too, the caller's own included
             or exists (select 1 from ${worker} w where w.name = j.worker and w.birth_at > j.started_at)
             or (j.worker = ${self} and j.id <> all(${[...(p.own?.keep ?? [])]}::text[])
                 and j.started_at < ${now} - ${p.own?.olderThanSeconds ?? 0} * interval '1 second'))
      for update skip locked
    ),
    rescued as (
      -- A job that never began (claimed ahead, still in the lost worker's buffer) goes back to its
      -- place, its attempt not spent; one that began counts a crash and is retried if it has attempts
      -- left, else failed. Either way its next start is recorded before it runs (confirm_start): a
      -- job that kills its worker within the moment before the start mark must still count.
      update ${job} j set
        status = case when not j.began or j.attempts <= j.retry_max then 'queued' else 'failed' end,
        attempts = case when j.began then j.attempts else greatest(j.attempts - 1, 0) end,
        crashes = j.crashes + case when j.began then 1 else 0 end,
        confirm_start = true,
        worker = case when j.began then j.worker end,
        exc_info = case when j.began then 'worker lost ' || (j.crashes + 1) || case when j.crashes = 0 then ' time: ' else ' times: ' end
          || coalesce(j.worker, '?') || ' stopped while running this job' end,
        attempt_log = case when not j.began then j.attempt_log else ${attemptLogAppend(sql`j.attempt_log`, sql`jsonb_build_object(
          'attempt', j.attempts, 'class', 'WorkerLost', 'message', coalesce(j.worker, '?') || ' stopped while running this job',
          'stack', null, 'at', ${now}, 'worker', j.worker)`)} end,
        position = case when not j.began then j.position when j.attempts <= j.retry_max then nextval(${seq(q)}::regclass) else j.position end,
        enqueued_at = case when not j.began or j.attempts <= j.retry_max then ${now} else j.enqueued_at end,
        started_at = case when j.began then j.started_at end,
        ended_at = case when not j.began or j.attempts <= j.retry_max then null else ${now} end,
        expires_at = ${jobExpiresAtSql(sql`(case when not j.began or j.attempts <= j.retry_max then 'queued' else 'failed' end)`, now, sql`j.result_ttl`, sql`j.failure_ttl`)}
      from orphan o where j.id = o.id
      returning j.id, j.status, j.queue, o.worker
    ),
    unlock as (
      update ${queue} set serial_job_id = null where serial_job_id in (select id from rescued) returning name
    ),
    notified as (
      select pg_notify(${workChannel(q.schema)}, ${queueWakePayload})
      from (select distinct queue from rescued where status = 'queued' union select name from unlock) s
      union all
      select pg_notify(${doneChannel(q.schema)}, string_agg(id, ',')) from rescued where status = 'failed' having count(*) > 0
    )
    select id, status, worker, (select count(*) from notified) as notified from rescued`.execute(q.db)
  return rows
}

/** A worker's own jobs for `jobRescueLost`: those it still holds, and the age past which others are orphans. */
export interface JobRescueOwn {
  worker: string
  keep: readonly string[]
  olderThanSeconds: number
}

/**
 * Puts jobs this worker claimed back in their queue, at their old place, with the attempt not
 * counted: for jobs claimed but not started at a graceful stop, and for jobs interrupted by a stop
 * at once. Frees their serial locks and wakes their queues.
 */
export async function jobRelease(q: QueryContext, p: { ids: string[]; worker: string }): Promise<string[]> {
  if (p.ids.length === 0) return []
  const job = sql.id(q.schema, 'job')
  const queue = sql.id(q.schema, 'queue')
  const { rows } = await sql<{ id: string }>`
    with released as (
      update ${job} set status = 'queued', worker = null, started_at = null, attempts = greatest(attempts - 1, 0), began = false
      where id = any(${p.ids}::text[]) and status = 'started' and worker = ${p.worker}
      returning id, queue
    ),
    unlock as (
      update ${queue} set serial_job_id = null where serial_job_id in (select id from released)
    ),
    notified as (
      select pg_notify(${workChannel(q.schema)}, ${queueWakePayload})
      from (select distinct queue from released) s
    )
    select id, (select count(*) from notified) as notified from released`.execute(q.db)
  return rows.map((r) => r.id)
}

/**
 * Records that these claimed jobs really began running (a worker marks its starts in batches, a
 * moment after them): from then on, losing the worker spends their attempt.
 */
export async function jobMarkBegan(q: QueryContext, p: { ids: string[]; worker: string }): Promise<void> {
  if (p.ids.length === 0) return
  await runSql(q, sql`
    update ${sql.id(q.schema, 'job')} set began = true
    where id = any(${p.ids}::text[]) and worker = ${p.worker} and status = 'started' and not began`)
}
