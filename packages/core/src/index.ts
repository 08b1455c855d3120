/**
 * @pq/core: pq's jobs, queues, flows and schedules in Postgres. Importing it starts nothing: no
 * timers, no LISTEN, no connection until you enqueue or read.
 */
export { Queue, type QueueOptions, type PageOptions } from './queue/queue.js'
export { Job } from './job/job.js'
export {
  JOB_STATUSES,
  ENDED_STATUSES,
  WAITING_STATUSES,
  REQUEUE_STATUSES,
  ATTEMPT_HISTORY_SIZE,
  describeCall,
  type JobStatus,
  type JobData,
  type RetryPolicy,
  type AttemptRecord,
} from './job/job-data.js'
export type { EnqueueOptions, EnqueueCall, TypedEnqueueCall, JobRef } from './job/enqueue-options.js'
export { DEFAULT_JOB_TIMEOUT, DEFAULT_RESULT_TTL, DEFAULT_FAILURE_TTL } from './job/enqueue-options.js'
export type { PqTasks, TaskName, TaskArgs, TaskResult } from './tasks/task-registry.js'
export { getCurrentJob } from './job/current-job.js'
export { job, type DelayedTask } from './job/job-helper.js'
export type { WaitOptions } from './job/wait-for-result.js'
export { migrate, checkSchema, LATEST_VERSION, type MigrateOptions, type MigrateResult } from './migrate/migrator.js'
export { closePools, type ConnectionOption } from './db/pools.js'
export { setPreparedStatements, type Executor } from './db/query-context.js'
export type { Json } from './db/tables.js'
export { resolveFunction, type TaskFunction, type TaskMap, type ResolveOptions } from './tasks/resolve-function.js'
export * from './errors.js'
export { Workers, type WorkerInfo, type WorkersOptions } from './worker-registry/worker-info.js'
export { Schedule, type ScheduleJobOptions, type ScheduleCall, type ScheduleLookup } from './schedule/schedule.js'
export {
  resolveScheduleRule,
  nextRun,
  runAt,
  runsLeft,
  describeRule,
  parseAt,
  type ScheduleRule,
  type ScheduleRuleInput,
  type ScheduleSlot,
  type AtInput,
} from './schedule/schedule-rules.js'
export { Flow, FLOW_STATUSES, type FlowStatus, type FlowOptions, type FlowLookup, type FlowBlock } from './flow/flow.js'
export type { FlowBuilder, FlowSteps } from './flow/flow-builder.js'
