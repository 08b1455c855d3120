-- Issue 14: a job that writes less, per-job priority, waiters registered for done notifications,
-- and a maintenance pass run by one worker at a time.
--
-- Write cost before: from enqueue to completion a job cost 3 row versions and 10 index entries. No
-- update can be HOT (each changes `status`, which partial index predicates read), so every version
-- enters every index whose predicate it meets. job_queue_status_idx took 3 of the 10 and served only
-- stats and listings; job_queued_any_idx and job_queued_idx both indexed the same queued rows.

-- An integer priority per job, lower first (0 by default): it orders a queue's jobs before their
-- position. A constant default keeps this an instant catalog change whatever the table's size.
alter table job add column priority integer not null default 0;

-- The one claim index: a queue's runnable jobs in the order workers take them. Partial, so a job
-- enters it once (at enqueue) and finished rows never do; workers serving every queue read it queue
-- by queue (the queue table lists them), so no second index of queued rows is needed.
create index job_claim_idx on job (queue, priority, position) where status = 'queued';
drop index job_queued_idx;
drop index job_queued_any_idx;

-- Stats and listings of ended jobs per queue and status, newest first, and the capped counts of
-- pq-stats: only ended rows enter it (one entry per job, at its end). Waiting and running jobs are
-- counted from their own partial indexes (claim, started, scheduled, deferred), which stay small.
create index job_ended_idx on job (queue, status, created_at) where status in ('finished', 'failed', 'stopped', 'canceled');
drop index job_queue_status_idx;

-- Deferred jobs (waiting on dependencies): the stuck-dependents sweep and their per-queue count read
-- these few rows, not the table.
create index job_deferred_idx on job (queue) where status = 'deferred';

-- Waiting jobs with a ttl: the discard-expired pass reads these, not the table (162 ms a pass at a
-- million rows without it). Jobs without a ttl never enter it.
create index job_discard_idx on job (discard_at) where discard_at is not null and status in ('queued', 'scheduled');

-- Room on each page, so that an update touching no indexed column (the began mark of a job longer
-- than its start-mark delay, meta progress) can stay on the page as a HOT update and write no index
-- entry. Applies to pages written from now on: an instant catalog change.
alter table job set (fillfactor = 90);

-- Who waits for which job (waitForResult): a completion notifies the done channel only for jobs
-- listed here, so the common case (nobody waits) takes no NOTIFY, whose commit-time lock every
-- notifying transaction queues on. Unlogged: a waiter lives as long as its connection, a crash
-- loses only waits that ended with it. `pid` lets maintenance drop rows a dead waiter left.
create unlogged table job_waiter (
  job_id     text not null,
  pid        integer not null default pg_backend_pid(),
  since      timestamptz not null default now()
);
create index job_waiter_job_idx on job_waiter (job_id);

-- Which of these ended jobs someone waits for, comma-separated (null: nobody). PL/pgSQL and
-- volatile, so under READ COMMITTED its query takes a fresh snapshot when called: a completion calls
-- it after locking its rows, so a waiter that registered while holding the job's row (see
-- waitForJob) is seen, even when the completion's statement began before that waiter committed.
create or replace function job_waited_ids(ids text[]) returns text
language plpgsql volatile set search_path from current as $$
begin
  if ids is null or not exists (select 1 from job_waiter) then
    return null;
  end if;
  return (select string_agg(distinct w.job_id, ',') from job_waiter w where w.job_id = any(ids));
end
$$;

-- The maintenance pass (TTL sweep, discard of expired waiting jobs, stuck dependents, stale serial
-- locks) runs on one worker per interval: a worker takes the pass by moving last_run_at forward in
-- one autocommitted UPDATE (a racing worker waits for the row lock, then re-reads the moved time and
-- takes nothing). No session state, so it holds behind a transaction-mode pooler.
create table maintenance_pass (
  name        text primary key,
  last_run_at timestamptz not null default '-infinity'
);
insert into maintenance_pass (name) values ('sweep') on conflict do nothing;
