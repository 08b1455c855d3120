// Finishing: a worker's writes for the jobs it ran (outcomes in batches, begun marks, released dependents, jobs handed back).
import { sql } from 'kysely'
import type { DateTime } from 'luxon'
import { runSql, timestampOrNull, type QueryContext } from '../db/query-context.js'
import { workChannel, doneChannel, queueWakePayload, wakeRunnableSql } from '../db/channels.js'
import { attemptLogAppend, endedWaitedSql, jobExpiresAtSql, positionSequence } from './job-rule-queries.js'

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

/** Lone UTF-16 surrogates (which a JS string may hold) as U+FFFD: Postgres refuses them in JSON. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
const wellFormed = (text: string | null): string | null => (text === null ? null : text.replace(LONE_SURROGATE, '\ufffd'))

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
 * names the ended jobs someone waits for (`waitForResult` lists them in job_waiter), none when
 * nobody waits; one per queue announces retries and freed serial locks (a worker that found the
 * lock taken waits for it).
 */
export async function jobFinishMany(
  q: QueryContext,
  p: { worker: string; outcomes: JobOutcome[]; releaseSerial: boolean; now?: DateTime | null },
): Promise<JobFinished[]> {
  if (p.outcomes.length === 0) return []
  const job = sql.id(q.schema, 'job')
  const queue = sql.id(q.schema, 'queue')
  // Lock rows in one order everywhere, so two batches can never deadlock on each other.
  const o = [...p.outcomes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  // The batch goes as one JSON parameter: JSON.stringify is native, where seven arrays cost pg an
  // escaping pass per element (a tenth of a worker's time on no-op jobs). `result` is JSON text
  // already, so it travels as a string and is cast back.
  const input = JSON.stringify(
    o.map((x) => ({
      id: x.id,
      status: x.status,
      result: x.result,
      exc_info: wellFormed(x.excInfo),
      retry_at: x.retryAt?.toISO() ?? null,
      error_class: wellFormed(x.errorClass ?? null),
      error_message: wellFormed(x.errorMessage ?? null),
    })),
  )
  const rows = await runSql(
    q,
    sql<JobFinished>`
    with input as materialized (
      select t.id, t.status, t.result::jsonb as result, t.exc_info, t.retry_at, t.error_class, t.error_message
      from json_to_recordset(${input}::json)
        as t(id text, status text, result text, exc_info text, retry_at timestamptz, error_class text, error_message text)
    ),
    now_ as (select coalesce(${timestampOrNull(p.now)}::timestamptz, now()) as now),
    gone as (
      -- By key lookups of the finished ids: joined to input instead, the planner (json_to_recordset
      -- is guessed at 100 rows, and this filter at far fewer) compared every started row of this
      -- worker with every outcome, 1.5 s a batch in a 20k drain of jobs kept 0 s.
      delete from ${job} j
      where j.id = any(array(select id from input where status = 'finished'))
        and j.status = 'started' and j.worker = ${p.worker} and j.result_ttl = 0
      returning j.id, j.queue, 'finished'::text as status, j.has_dependents
    ),
    changed as (
      update ${job} j set
        status = i.status,
        result = i.result,
        exc_info = i.exc_info,
        -- a failed attempt (final or retried; not a discard, nor a job put back at a stop) joins the history
        attempt_log = case when i.exc_info is not null and i.status in ('failed', 'queued', 'scheduled')
          then ${attemptLogAppend(
            sql`j.attempt_log`,
            sql`jsonb_build_object('attempt', j.attempts, 'class', i.error_class,
            'message', i.error_message, 'stack', i.exc_info, 'at', n.now, 'worker', ${p.worker}::text)`,
          )}
          else j.attempt_log end,
        ended_at = case when i.status in ('queued', 'scheduled') then null else n.now end,
        scheduled_for = case when i.status = 'scheduled' then i.retry_at end,
        enqueued_at = case when i.status = 'queued' then n.now else j.enqueued_at end,
        position = case when i.status = 'queued' then nextval(${positionSequence(q)}::regclass) else j.position end,
        expires_at = ${jobExpiresAtSql(sql`i.status`, sql`n.now`, sql`j.result_ttl`, sql`j.failure_ttl`)}
      from input i, now_ n
      where j.id = i.id and j.status = 'started' and j.worker = ${p.worker}
        and not (i.status = 'finished' and j.result_ttl = 0)
      returning j.id, j.queue, j.status, j.has_dependents
    ),
    unlock as (
      update ${queue} set serial_job_id = null
      where ${p.releaseSerial} and serial_job_id in (select id from input)
      returning name
    ),
    touched as (select * from gone union all select * from changed),
    ended as (${endedWaitedSql(q, 'touched', sql`status not in ('queued', 'scheduled')`)}),
    notified as (
      select pg_notify(${doneChannel(q.schema)}, case when length(ids) < 7900 then ids else '*' end)
      from ended where ids is not null
      union all
      select pg_notify(${workChannel(q.schema)}, ${queueWakePayload})
      from (select distinct queue from touched where status = 'queued' union select name from unlock) s
    )
    select touched.*, (select count(*) from notified) as notified from touched`,
  )
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
  const rows = await runSql(
    q,
    sql<{ id: string }>`
    with now_ as (select coalesce(${timestampOrNull(p.now)}::timestamptz, now()) as now),
    released as (
      update ${job} j set
        status = case when j.scheduled_for > n.now then 'scheduled' else 'queued' end,
        enqueued_at = case when j.scheduled_for > n.now then null else n.now end,
        position = nextval(${positionSequence(q)}::regclass)
      from now_ n
      where j.status = 'deferred'
        and j.id in (select job_id from ${dependency} where depends_on = any(${p.ids}::text[]))
        and not exists (
          -- OFFSET 0: a lookup per dependent, never an anti join hashing every unfinished job
          select 1 from ${dependency} d join ${job} x on x.id = d.depends_on
          where d.job_id = j.id and x.status <> 'finished' and not (j.allow_dependency_failure and x.status = 'failed')
          offset 0)
      returning j.id, j.queue, j.status, j.scheduled_for
    ),
    notified as (
      ${wakeRunnableSql(q.schema, 'released')}
    )
    select id, (select count(*) from notified) as notified from released`,
  )
  return rows.map((r) => r.id)
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
  await runSql(
    q,
    sql`
    update ${sql.id(q.schema, 'job')} set began = true
    where id = any(${p.ids}::text[]) and worker = ${p.worker} and status = 'started' and not began`,
  )
}
