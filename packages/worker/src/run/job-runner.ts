import { DateTime } from 'luxon'
import { Job, JobTimeout, resolveFunction, type ResolveOptions } from '@pq/core'
import { formatError, errorParts, type JobOutcome } from '@pq/core/internal'
import type { TaskRunner } from './task-runner.js'

/** `\u0000` as JSON.stringify writes it: an escape not itself preceded by an escaped backslash. */
const NUL_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u0000/

/** What running one job came to, for the loop and its events. */
export interface JobRunReport {
  job: Job
  outcome: JobOutcome
  error: unknown
  seconds: number
}

/** Settings the runner needs from the worker. */
export interface JobRunnerSettings {
  path: string
  /** The worker's task map and task packages. */
  lookup?: ResolveOptions
  defaultTimeout: number
  isolate: boolean
  exceptionHandlers: readonly string[]
  warn: (message: string) => void
}

/**
 * Runs one claimed job to an outcome: discards it if its ttl passed, runs it with its timeout, then
 * decides finished, retry (queued now or scheduled after its interval) or failed, and calls its
 * callbacks and, after a final failure, the exception handler chain. Never throws.
 */
export async function runJob(
  job: Job,
  taskRunner: TaskRunner,
  settings: JobRunnerSettings,
  stopSignal: AbortSignal,
): Promise<JobRunReport> {
  const started = performance.now()
  const seconds = () => (performance.now() - started) / 1000
  if (job.discardAt && job.discardAt <= DateTime.utc()) {
    const excInfo = `discarded: not started within its ttl of ${job.ttl}s`
    return { job, error: null, seconds: 0, outcome: { id: job.id, status: 'canceled', result: null, excInfo, retryAt: null } }
  }
  const timeout = job.timeout ?? settings.defaultTimeout
  let result = await taskRunner.run(job, timeout, job.isolate ?? settings.isolate, stopSignal)
  // Stopped at once: the job goes back to its queue, so it neither succeeded nor failed; no callbacks.
  if (stopSignal.aborted)
    return { job, error: null, seconds: seconds(), outcome: { id: job.id, status: 'queued', result: null, excInfo: null, retryAt: null } }
  const json = result.ok ? JSON.stringify(result.result) : null
  // jsonb refuses \u0000: such a result would make the whole completion batch fail, and every job in
  // it stay started. Fail this job instead, saying why.
  if (json && NUL_ESCAPE.test(json))
    result = {
      ok: false,
      error: new Error(
        'the result cannot be stored: Postgres jsonb refuses the character \\u0000 in strings; encode it (base64, or strip it)',
      ),
    }
  if (result.ok) {
    if (job.onSuccess) await callback(job.onSuccess, settings, [job, result.result])
    return { job, error: null, seconds: seconds(), outcome: { id: job.id, status: 'finished', result: json, excInfo: null, retryAt: null } }
  }
  const error = result.error
  // Postgres text refuses NUL bytes too: spell them out.
  const excInfo = (error instanceof JobTimeout ? `JobTimeout: ${error.message}` : formatError(error)).replaceAll('\u0000', '\\0')
  const parts = errorParts(error)
  const errorFields = { errorClass: parts.errorClass, errorMessage: parts.message?.replaceAll('\u0000', '\\0') ?? null }
  if (job.attempts <= job.retry.max) {
    const intervals = job.retry.intervals
    const wait = intervals.length ? intervals[Math.min(job.attempts - 1, intervals.length - 1)]! : 0
    const retryAt = wait > 0 ? DateTime.utc().plus({ seconds: wait }) : null
    return {
      job,
      error,
      seconds: seconds(),
      outcome: { id: job.id, status: retryAt ? 'scheduled' : 'queued', result: null, excInfo, retryAt, ...errorFields },
    }
  }
  await callback(job.onFailure, settings, [job, error])
  await handleException(job, error, settings)
  return { job, error, seconds: seconds(), outcome: { id: job.id, status: 'failed', result: null, excInfo, retryAt: null, ...errorFields } }
}

async function callback(name: string | null, settings: JobRunnerSettings, args: unknown[]): Promise<void> {
  if (!name) return
  try {
    const fn = await resolveFunction(name, settings.path, settings.lookup)
    await fn(...args)
  } catch (err) {
    settings.warn(`callback ${name} failed: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/**
 * RQ's exception handler chain: each handler gets (job, error) in order; one returning false stops
 * the chain. The failure is recorded whatever they return; a handler that throws is reported and the
 * chain goes on.
 */
async function handleException(job: Job, error: unknown, settings: JobRunnerSettings): Promise<void> {
  for (const name of settings.exceptionHandlers) {
    try {
      const fn = await resolveFunction(name, settings.path, settings.lookup)
      if ((await fn(job, error)) === false) return
    } catch (err) {
      settings.warn(`exception handler ${name} failed: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
}
