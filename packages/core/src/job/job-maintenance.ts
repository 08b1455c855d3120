// Maintenance: what workers sweep on a timer (due jobs, expired rows, stuck dependents, jobs of lost workers).
import { sql } from 'kysely'
import type { DateTime } from 'luxon'
import { timestampOrNull, type QueryContext } from '../db/query-context.js'
import { workChannel, doneChannel, queueWakePayload, wakeRunnableSql } from '../db/channels.js'
import { attemptLogAppend, endedWaitedSql, jobExpiresAtSql, positionSequence } from './job-rule-queries.js'

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
        -- OFFSET 0 keeps this a lookup per deferred job (its edges, then each dependency by id):
        -- turned into an anti join, it was planned as a hash of every unfinished job, a table scan.
        select 1 from ${dependency} d join ${job} x on x.id = d.depends_on
        where d.job_id = j.id and x.status <> 'finished' and not (j.allow_dependency_failure and x.status = 'failed')
        offset 0)
      limit ${p.limit} for update skip locked
    ),
    released as (
      -- As jobReleaseDependents: a release whose scheduled_for is still ahead waits as scheduled.
      update ${job} j set status = case when j.scheduled_for > now() then 'scheduled' else 'queued' end,
        enqueued_at = case when j.scheduled_for > now() then null else now() end, position = nextval(${positionSequence(q)}::regclass)
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
  const now = sql`coalesce(${timestampOrNull(p.now)}::timestamptz, now())`
  const { rows } = await sql<{ id: string }>`
    with due as (
      select id from ${job} where status = 'scheduled' and scheduled_for <= ${now}
      order by scheduled_for limit ${p.limit} for update skip locked
    ),
    promoted as (
      update ${job} j set status = 'queued', enqueued_at = ${now}, position = nextval(${positionSequence(q)}::regclass)
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
  const row = await q.db
    .withSchema(q.schema)
    .selectFrom('job')
    .select((eb) => eb.fn.min('scheduled_for').as('next'))
    .where('status', '=', 'scheduled')
    .executeTakeFirst()
  return row?.next ?? null
}

/**
 * Discards queued jobs whose ttl passed before any worker started them (status canceled), earliest
 * deadline first: an ordered scan of job_discard_idx (waiting jobs with a ttl only) that stops at
 * the limit.
 */
export async function jobDiscardExpired(q: QueryContext, p: { limit: number; now?: DateTime | null }): Promise<string[]> {
  const job = sql.id(q.schema, 'job')
  const now = sql`coalesce(${timestampOrNull(p.now)}::timestamptz, now())`
  const { rows } = await sql<{ id: string }>`
    with expired as (
      select id from ${job} where status in ('queued', 'scheduled') and discard_at <= ${now}
      order by discard_at limit ${p.limit} for update skip locked
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
 * Batched, so it never holds many locks long. Oldest expiry first, so the pick is an ordered scan of
 * job_expires_idx that stops at the limit (a bitmap scan would read every expired entry first), and
 * the delete probes the primary key with the picked ids: joined instead, on a table never analyzed
 * the planner hashed them against a scan of the whole table.
 */
export async function jobSweepExpired(q: QueryContext, p: { limit: number; now?: DateTime | null }): Promise<number> {
  const job = sql.id(q.schema, 'job')
  const now = sql`coalesce(${timestampOrNull(p.now)}::timestamptz, now())`
  const { rows } = await sql<{ id: string }>`
    with doomed as (
      select id from ${job} where expires_at <= ${now} order by expires_at limit ${p.limit} for update skip locked
    )
    delete from ${job} j where j.id = any(array(select id from doomed)) returning j.id`.execute(q.db)
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
export async function jobRescueLost(
  q: QueryContext,
  p: { heartbeatTimeoutSeconds: number; own?: JobRescueOwn; now?: DateTime | null },
): Promise<{ id: string; status: string; worker: string }[]> {
  const job = sql.id(q.schema, 'job')
  const worker = sql.id(q.schema, 'worker')
  const queue = sql.id(q.schema, 'queue')
  const now = sql`coalesce(${timestampOrNull(p.now)}::timestamptz, now())`
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
        attempt_log = case when not j.began then j.attempt_log else ${attemptLogAppend(
          sql`j.attempt_log`,
          sql`jsonb_build_object(
          'attempt', j.attempts, 'class', 'WorkerLost', 'message', coalesce(j.worker, '?') || ' stopped while running this job',
          'stack', null, 'at', ${now}, 'worker', j.worker)`,
        )} end,
        position = case when not j.began then j.position when j.attempts <= j.retry_max then nextval(${positionSequence(q)}::regclass) else j.position end,
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
      select pg_notify(${doneChannel(q.schema)}, ids) from (${endedWaitedSql(q, 'rescued', sql`status = 'failed'`)}) w where ids is not null
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
 * Takes the shared maintenance pass `name` when nobody ran it in the last `intervalSeconds`: moves
 * its last_run_at to now and returns true, else false. One autocommitted UPDATE: a worker racing
 * this one waits for the row lock, then re-reads the moved time and takes nothing, so one worker
 * runs each pass and nothing is held across statements (safe behind a transaction-mode pooler).
 */
export async function maintenanceTakePass(q: QueryContext, p: { name: string; intervalSeconds: number }): Promise<boolean> {
  const { rows } = await sql<{ name: string }>`
    update ${sql.id(q.schema, 'maintenance_pass')} set last_run_at = now()
    where name = ${p.name} and last_run_at <= now() - ${p.intervalSeconds} * interval '1 second'
    returning name`.execute(q.db)
  return rows.length > 0
}

/** Drops job_waiter rows whose waiting connection has gone (a waiter killed mid-wait). Returns how many. */
export async function jobWaiterPrune(q: QueryContext): Promise<number> {
  const { rows } = await sql<{ job_id: string }>`
    delete from ${sql.id(q.schema, 'job_waiter')} w
    where w.since < now() - interval '1 minute' and not exists (select 1 from pg_stat_activity a where a.pid = w.pid)
    returning job_id`.execute(q.db)
  return rows.length
}
