/** @pq/worker: the process that runs pq's jobs. */
export { Worker, type WorkerEvents, type StopMode } from './worker.js'
export { resolveWorkerOptions, type WorkerOptions, type ResolvedWorkerOptions, DEFAULT_WORKER_TTL } from './worker-options.js'
export { DEFAULT_JOB_TIMEOUT } from '@pq/core'
export type { JobRunReport } from './run/job-runner.js'
export type { Logger, LogMethod } from './worker-logging.js'
export { LATENCY_BUCKETS, type WorkerMetrics, type HistogramSnapshot } from './metrics.js'
export type { Waker, WakeReason } from './wake/waker.js'
