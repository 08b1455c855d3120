/**
 * Body of an isolated job thread: receives a job, runs it, posts the outcome, waits for the next.
 * The parent terminates the thread at the job's timeout, which stops even a task that never yields.
 */
import { parentPort, workerData } from 'node:worker_threads'
import pg from 'pg'
import { Job, resolveFunction } from '@pq/core'
import { queryContext, runTask, formatError, type JobRow } from '@pq/core/internal'

interface ThreadData {
  path: string
  packages: readonly string[]
  databaseUrl: string | undefined
  schema: string
}
const data = workerData as ThreadData
// Opened only if a task saves meta; pg connects lazily.
const pool = new pg.Pool({ connectionString: data.databaseUrl, max: 2 })
pool.on('error', () => {})
const home = { ctx: queryContext(pool, data.schema), pool }

// runRow answers every outcome with a message; should posting itself throw, the rejection ends the
// thread, and the runner reports the thread's 'error' as the job's failure.
parentPort!.on('message', (msg: { row: JobRow }) => void runRow(msg.row))

async function runRow(row: JobRow): Promise<void> {
  try {
    const fn = await resolveFunction(row.func, data.path, { packages: data.packages })
    const outcome = await runTask(fn, new Job(home, row))
    if (outcome.ok) parentPort!.postMessage({ ok: true, result: outcome.result })
    else parentPort!.postMessage({ ok: false, error: formatError(outcome.error) })
  } catch (error) {
    parentPort!.postMessage({ ok: false, error: formatError(error) })
  }
}
