import { AsyncLocalStorage } from 'node:async_hooks'
import type { Job } from './job.js'

const current = new AsyncLocalStorage<Job>()

/**
 * The job being run, from inside a task (and anything it awaits), or undefined outside one. A task
 * reports progress with `job.meta.progress = 0.5; await job.saveMeta()`, and honours
 * `job.signal` (aborted at its timeout or when the worker is told to stop at once).
 *
 * @example
 * export async function resize(url: string) {
 *   const job = getCurrentJob()!
 *   job.meta.step = 'downloading'; await job.saveMeta()
 * }
 */
export function getCurrentJob(): Job | undefined {
  return current.getStore()
}

/** Runs `fn` with `job` as the current job. @internal */
export function runAsCurrentJob<T>(job: Job, fn: () => T): T {
  return current.run(job, fn)
}
