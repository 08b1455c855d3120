import type { ColumnType, Generated, Selectable } from 'kysely'

/** JSON as stored in jsonb columns. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

type Timestamp = ColumnType<Date, Date | string, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

/** `queue` table. */
export interface QueueTable {
  name: string
  serial: Generated<boolean>
  serial_job_id: string | null
  created_at: Generated<Date>
  /** When the queue was paused; null while workers claim from it. */
  paused_at: NullableTimestamp
}

/** `job` table. */
export interface JobTable {
  id: string
  queue: string
  func: string
  args: Json
  kwargs: Json
  status: string
  /** Lower runs first within a queue, before `position` (0 by default). */
  priority: Generated<number>
  position: ColumnType<string, string | number | bigint, string | number | bigint>
  description: string | null
  timeout: number | null
  result_ttl: Generated<number>
  failure_ttl: Generated<number>
  ttl: number | null
  meta: Generated<Json>
  result: Json | null
  exc_info: string | null
  retry_max: Generated<number>
  retry_intervals: Generated<number[]>
  attempts: Generated<number>
  on_success: string | null
  on_failure: string | null
  allow_dependency_failure: Generated<boolean>
  has_dependents: Generated<boolean>
  began: Generated<boolean>
  crashes: Generated<number>
  confirm_start: Generated<boolean>
  isolate: boolean | null
  worker: string | null
  flow_id: string | null
  schedule_id: string | null
  created_at: Generated<Date>
  enqueued_at: NullableTimestamp
  scheduled_for: NullableTimestamp
  discard_at: NullableTimestamp
  started_at: NullableTimestamp
  ended_at: NullableTimestamp
  expires_at: NullableTimestamp
  /** Failed attempts, oldest first, the last ATTEMPT_LOG_SIZE; null until one fails. */
  attempt_log: ColumnType<AttemptLogEntry[] | null, never, never>
}

/** One failed attempt as `job.attempt_log` stores it. */
export interface AttemptLogEntry {
  attempt: number
  class: string | null
  message: string | null
  stack: string | null
  at: string
  worker: string | null
}

/** `job_dependency` table. */
export interface JobDependencyTable {
  job_id: string
  depends_on: string
}

/** `job_waiter` table: who waits for which job's end (done notifications go only to these). */
export interface JobWaiterTable {
  job_id: string
  pid: Generated<number>
  since: Generated<Date>
}

/** `maintenance_pass` table: when each shared maintenance pass last ran (one worker takes each). */
export interface MaintenancePassTable {
  name: string
  last_run_at: Generated<Date>
}

/** `worker` table. */
export interface WorkerTable {
  name: string
  host: string
  pid: number
  queues: string[]
  state: string
  concurrency: Generated<number>
  birth_at: Generated<Date>
  heartbeat_at: Generated<Date>
  successful_count: ColumnType<string, string | number | undefined, string | number>
  failed_count: ColumnType<string, string | number | undefined, string | number>
  working_seconds: Generated<number>
  stop_requested: Generated<boolean>
  listen_mode: Generated<string>
  /** The worker's latency histograms at its last beat (see Worker.metrics()). */
  metrics: ColumnType<Json | null, Json | null | undefined, Json | null>
}

/** `schedule` table. */
export interface ScheduleTable {
  id: string
  queue: string
  func: string
  args: Json
  kwargs: Json
  options: Json
  anchor_at: Timestamp
  repeat: Generated<number>
  until_at: NullableTimestamp
  interval: string | null
  between: string | null
  weekdays: number[] | null
  cron: string | null
  tz: Generated<string>
  run_count: Generated<number>
  next_k: Generated<number>
  next_run_at: NullableTimestamp
  last_run_at: NullableTimestamp
  last_job_id: string | null
  created_at: Generated<Date>
  canceled_at: NullableTimestamp
}

/** `flow` table. */
export interface FlowTable {
  id: string
  name: string | null
  queue: string
  job_ids: string[]
  created_at: Generated<Date>
}

/** `migration` ledger. */
export interface MigrationTable {
  version: number
  name: string
  applied_at: Generated<Date>
}

/** Every pq table, for Kysely. */
export interface Database {
  queue: QueueTable
  job: JobTable
  job_dependency: JobDependencyTable
  job_waiter: JobWaiterTable
  maintenance_pass: MaintenancePassTable
  worker: WorkerTable
  schedule: ScheduleTable
  flow: FlowTable
  migration: MigrationTable
}

export type JobRow = Selectable<JobTable>
export type QueueRow = Selectable<QueueTable>
export type WorkerRow = Selectable<WorkerTable>
export type ScheduleRow = Selectable<ScheduleTable>
export type FlowRow = Selectable<FlowTable>

/** The timestamp columns of `job` that may be null. */
type JobNullableTime = 'enqueued_at' | 'scheduled_for' | 'discard_at' | 'started_at' | 'ended_at' | 'expires_at'

/** A job row as a claim gives it (see claimed-row.ts): timestamps as ISO strings, `position` a number. */
export type JobRowJson = Omit<JobRow, JobNullableTime | 'created_at' | 'position'> & { [C in JobNullableTime]: string | null } & {
  created_at: string
  /** A JSON number: a bigint column, below 2^53 for any real queue. */
  position: number
}
