/**
 * @internal What pq's own packages (worker, cli, dashboard, bench) share beyond the public API.
 * Not for applications: it may change in any release.
 */
export { queryContext, kyselyOverPool, type QueryContext, type Executor } from './db/query-context.js'
export { acquirePool } from './db/pools.js'
export { schemaName, DEFAULT_SCHEMA } from './db/schema-name.js'
export { workChannel, doneChannel, controlChannel } from './db/channels.js'
export * from './db/pg-errors.js'
export type * from './db/tables.js'
export { readEnv, describeConnection, redactConnectionString, type PqEnv } from './config/env.js'
export { toSeconds, toTtlSeconds, MAX_TIMEOUT_SECONDS, type DurationInput } from './config/duration.js'
export { jobDataFromRow } from './job/job-data.js'
export { jobRow } from './job/job.js'
export type { JobHome } from './job/job-data.js'
export { jobInsertMany, type JobInsertRow, type JobInsertManyParams, type FlowInsert } from './job/job-insert.js'
export {
  jobStatuses,
  jobFetch,
  jobFetchMany,
  jobCount,
  jobList,
  jobIdsInQueue,
  jobIdsByStatus,
  type JobRowWithDependencies,
  type JobListParams,
} from './job/job-read.js'
export {
  jobDelete,
  jobCancelDependents,
  jobCancel,
  jobRequeue,
  jobEmptyQueue,
  jobSaveMeta,
  jobRecordOutcome,
  type JobRecordOutcomeParams,
} from './job/job-operations.js'
export { deleteJobs, type DeleteResult } from './job/job-delete.js'
export { resolveEnqueueCall, dependencyIds, DEFAULT_RESULT_TTL, DEFAULT_FAILURE_TTL } from './job/enqueue-options.js'
export { toJson } from './job/json-value.js'
export { runAsCurrentJob } from './job/current-job.js'
export { runTask, formatError, errorParts, type TaskOutcome } from './tasks/run-task.js'
export { functionName } from './tasks/function-name.js'
export { queueName } from './queue/queue-name.js'
export * from './queue/queue-queries.js'
export { schemaVersion } from './migrate/migrator.js'
export type { Migration } from './migrate/migration.js'
export {
  jobClaim,
  jobClaimFrom,
  jobSerialQueuesReady,
  jobAnyRunnable,
  type JobClaimParams,
  type JobClaimFromParams,
  type ClaimedJobRow,
} from './job/job-claim.js'
export { jobFinishMany, jobReleaseDependents, jobRelease, jobMarkBegan, type JobOutcome, type JobFinished } from './job/job-finish.js'
export {
  jobReleaseStuckDependents,
  jobPromoteDue,
  jobNextScheduled,
  jobDiscardExpired,
  jobSweepExpired,
  jobRescueLost,
  type JobRescueOwn,
  maintenanceTakePass,
  jobWaiterPrune,
} from './job/job-maintenance.js'
export * from './worker-registry/worker-queries.js'
export { workerInfoFromRow } from './worker-registry/worker-info.js'
export { fireDueSchedules, nextScheduleDue } from './schedule/schedule-firing.js'
export * from './schedule/schedule-queries.js'
export { resolveScheduleCall, ruleFromRow } from './schedule/schedule.js'
export * from './stats/stats-queries.js'
export * from './stats/health-queries.js'
export * from './flow/flow-queries.js'
export * from './stats/queue-stats.js'
