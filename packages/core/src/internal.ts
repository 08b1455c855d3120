/**
 * @internal What pq's own packages (worker, cli, dashboard, bench) share beyond the public API.
 * Not for applications: it may change in any release.
 */
export { queryContext, kyselyOverPool, type QueryContext, type Executor } from './db/query-context.js'
export { acquirePool, connectionError } from './db/pools.js'
export { schemaName, workChannel, doneChannel, controlChannel, DEFAULT_SCHEMA } from './db/schema-name.js'
export * from './db/pg-errors.js'
export type * from './db/tables.js'
export { readEnv, describeConnection, type PqEnv } from './config/env.js'
export { toSeconds, toTtlSeconds, type DurationInput } from './config/duration.js'
export { jobDataFromRow } from './job/job.js'
export type { JobHome } from './job/job.js'
export * from './job/job-queries.js'
export { resolveEnqueueCall, dependencyIds, DEFAULT_RESULT_TTL, DEFAULT_FAILURE_TTL } from './job/enqueue-options.js'
export { toJson } from './job/json-value.js'
export { runAsCurrentJob } from './job/current-job.js'
export { runTask, formatError, type TaskOutcome } from './tasks/run-task.js'
export { functionName } from './tasks/function-name.js'
export { queueName } from './queue/queue-name.js'
export * from './queue/queue-queries.js'
export { schemaVersion } from './migrate/migrator.js'
export type { Migration } from './migrate/migration.js'
