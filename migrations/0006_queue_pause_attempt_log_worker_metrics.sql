-- Operating pq (issue 15). Three nullable columns without defaults: instant catalog changes
-- whatever the tables' size, and rows that never use them (running queues, jobs that never failed,
-- workers before their first beat) store nothing.

-- A paused queue still accepts jobs, but no worker claims from it until it is resumed. Kept in the
-- queue row that every claim already reads (serial flag), so the claim skips it at no extra cost.
alter table queue add column paused_at timestamptz;

-- Each failed attempt's error (class, message, stack, when, worker, attempt number), oldest first,
-- the last 10 only: written by the statement that records the failure, absent for jobs that never failed.
alter table job add column attempt_log jsonb;

-- A worker's latency histograms (claim wait and run time), written with its heartbeat so that a
-- metrics endpoint in another process (the dashboard) can read them.
alter table worker add column metrics jsonb;
