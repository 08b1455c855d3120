import type { Json } from '../db/tables.js'
import type { Job } from '../job/job.js'
import { runAsCurrentJob } from '../job/current-job.js'
import { toJson } from '../job/json-value.js'
import type { TaskFunction } from './resolve-function.js'

/** What a run of a task came to. */
export type TaskOutcome = { ok: true; result: Json } | { ok: false; error: unknown }

/**
 * Calls a task with the job's arguments (its kwargs object last, when it has any) as the current
 * job, and turns whatever it returns or throws into an outcome. A result JSON cannot carry is a
 * failure: the caller would otherwise read back something else.
 */
export async function runTask(fn: TaskFunction, job: Job): Promise<TaskOutcome> {
  const args: unknown[] = [...job.args]
  if (Object.keys(job.kwargs).length > 0) args.push(job.kwargs)
  try {
    const value = await runAsCurrentJob(job, () => fn(...args))
    return { ok: true, result: toJson('result', value) }
  } catch (error) {
    return { ok: false, error }
  }
}

/** An error's class and message for the attempt history; nulls for a thrown non-Error. */
export function errorParts(error: unknown): { errorClass: string | null; message: string | null } {
  if (!(error instanceof Error)) return { errorClass: null, message: null }
  const named = error.name && error.name !== 'Error' ? error.name : error.constructor?.name
  return { errorClass: named || 'Error', message: error.message }
}

/** The text stored in excInfo for an error: its stack (or message), one line at least. */
export function formatError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`
  try {
    return `thrown value: ${JSON.stringify(error)}`
  } catch {
    return `thrown value: ${String(error)}`
  }
}
