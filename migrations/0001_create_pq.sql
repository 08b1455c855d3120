-- pq's first schema: queues, jobs (with their dependencies), workers, schedules and flows.
-- Names are unqualified: the migrator sets search_path to the target schema (pq by default), so one
-- file serves any schema. Status columns are text with a CHECK, so a later migration can change the
-- set and use it in the same transaction.

-- A queue row exists for every queue that was ever enqueued to; it carries the serial flag and, for
-- serial queues, the soft lock (serial_job_id) that lets one job of the queue run at a time.
create table queue (
  name          text primary key,
  serial        boolean not null default false,
  serial_job_id text,
  created_at    timestamptz not null default now()
);

-- Jobs. Ordering inside a queue is `position`: a sequence value, negated for atFront jobs so the most
-- recent atFront job comes first and every atFront job precedes the rest.
create sequence job_position_seq;

create table job (
  id                       text primary key,
  queue                    text not null,
  func                     text not null,
  args                     jsonb not null default '[]',
  kwargs                   jsonb not null default '{}',
  status                   text not null check (status in
                             ('queued', 'deferred', 'scheduled', 'started', 'finished', 'failed', 'stopped', 'canceled')),
  position                 bigint not null,
  description              text,
  timeout                  double precision,          -- seconds; null: the worker's default
  result_ttl               integer not null default 500,   -- seconds; 0 delete at once; -1 forever
  failure_ttl              integer not null default 31536000,
  ttl                      integer,                   -- seconds a job may wait before it is discarded
  meta                     jsonb not null default '{}',
  result                   jsonb,
  exc_info                 text,
  retry_max                integer not null default 0,
  retry_intervals          integer[] not null default '{}',
  attempts                 integer not null default 0,  -- runs started so far
  on_success               text,
  on_failure               text,
  allow_dependency_failure boolean not null default false,
  has_dependents           boolean not null default false,  -- set by a dependent's enqueue; completion reads it
  isolate                  boolean,
  worker                   text,
  flow_id                  text,
  schedule_id              text,
  created_at               timestamptz not null default now(),
  enqueued_at              timestamptz,
  scheduled_for            timestamptz,               -- when a 'scheduled' job becomes 'queued'
  discard_at               timestamptz,               -- created_at + ttl
  started_at               timestamptz,
  ended_at                 timestamptz,
  expires_at               timestamptz                -- ended_at + result/failure ttl; null keeps the row
);

-- The claim: one queue's runnable jobs in order. Partial, so finished rows never enter it and the
-- claim stays an index scan however many finished jobs the table holds.
create index job_queued_idx on job (queue, position) where status = 'queued';
-- Workers serving every queue claim in global order.
create index job_queued_any_idx on job (position) where status = 'queued';
-- Scheduled jobs (enqueueAt, retries with an interval) become queued when due.
create index job_scheduled_idx on job (scheduled_for) where status = 'scheduled';
-- The TTL sweep.
create index job_expires_idx on job (expires_at) where expires_at is not null;
-- Recovery of a lost worker's jobs, and the per-queue started count.
create index job_started_idx on job (worker) where status = 'started';
-- Listing a queue's jobs by status, newest first, for stats, admin and the dashboard.
create index job_queue_status_idx on job (queue, status, created_at);
create index job_flow_idx on job (flow_id) where flow_id is not null;

-- Dependencies: job_id waits for depends_on. No foreign key on depends_on: a finished dependency may
-- be swept (result_ttl 0) while its dependents still read as released.
create table job_dependency (
  job_id     text not null references job (id) on delete cascade,
  depends_on text not null,
  primary key (job_id, depends_on)
);
create index job_dependency_depends_on_idx on job_dependency (depends_on);

-- Workers register here and heartbeat; another worker declares them lost after the heartbeat timeout.
create table worker (
  name               text primary key,
  host               text not null,
  pid                integer not null,
  queues             text[] not null,             -- empty: every queue
  state              text not null check (state in ('starting', 'idle', 'busy', 'stopping', 'stopped')),
  concurrency        integer not null default 1,
  birth_at           timestamptz not null default now(),
  heartbeat_at       timestamptz not null default now(),
  successful_count   bigint not null default 0,
  failed_count       bigint not null default 0,
  working_seconds    double precision not null default 0,
  stop_requested     boolean not null default false,
  listen_mode        text not null default 'listen' check (listen_mode in ('listen', 'poll'))
);

-- Schedules: a rule (anchor, interval or cron, window, weekdays, repeat/until) and the enqueue options
-- of the job each run creates. next_run_at is null once the schedule is exhausted.
create table schedule (
  id           text primary key,
  queue        text not null,
  func         text not null,
  args         jsonb not null default '[]',
  kwargs       jsonb not null default '{}',
  options      jsonb not null default '{}',
  anchor_at    timestamptz not null,
  repeat       integer not null default 0,        -- extra runs after the first; -1 forever
  until_at     timestamptz,
  interval     text,                              -- ISO 8601 duration
  between      text,                              -- 'HH:MM/HH:MM' in tz
  weekdays     smallint[],                        -- 0 Monday .. 6 Sunday
  cron         text,
  tz           text not null default 'UTC',
  run_count    integer not null default 0,        -- runs fired
  next_k       integer not null default 0,        -- slot index of next_run_at
  next_run_at  timestamptz,
  last_run_at  timestamptz,
  last_job_id  text,
  created_at   timestamptz not null default now(),
  canceled_at  timestamptz
);
create index schedule_due_idx on schedule (next_run_at) where next_run_at is not null;

-- Flows: named sequences of jobs. A flow lives as long as its final job: the sweep deletes a flow
-- once that job is gone.
create table flow (
  id         text primary key,
  name       text,
  queue      text not null,
  job_ids    text[] not null,
  created_at timestamptz not null default now()
);
create index flow_name_idx on flow (name, created_at);
