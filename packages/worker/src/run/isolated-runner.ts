import { Worker as Thread } from 'node:worker_threads'
import type { Job, Json } from '@pq/core'
import { JobTimeout } from '@pq/core'
import type { RunResult } from './executor.js'

/** An error whose text was formatted in the job's thread. */
export class IsolatedTaskError extends Error {
  constructor(readonly excInfo: string) {
    super(excInfo.split('\n')[0])
    this.name = 'IsolatedTaskError'
    this.stack = excInfo
  }
}

/**
 * Runs jobs in worker threads, one job per thread at a time. Idle threads are reused; a thread whose
 * job timed out is terminated, which stops the task even in a tight loop.
 */
export class IsolatedRunner {
  readonly #idle: Thread[] = []
  readonly #busy = new Set<Thread>()
  readonly #data: { path: string; databaseUrl: string | undefined; schema: string }

  constructor(data: { path: string; databaseUrl: string | undefined; schema: string }) {
    this.#data = data
  }

  async run(job: Job, timeoutSeconds: number): Promise<RunResult> {
    const thread = this.#idle.pop() ?? new Thread(new URL('./isolated-entry.mjs', import.meta.url), { workerData: this.#data })
    this.#busy.add(thread)
    const row = toRow(job)
    return new Promise<RunResult>((resolve) => {
      let settled = false
      const finish = (result: RunResult, keep: boolean) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        thread.off('message', onMessage)
        thread.off('error', onError)
        thread.off('exit', onExit)
        this.#busy.delete(thread)
        if (keep) this.#idle.push(thread)
        else void thread.terminate()
        resolve(result)
      }
      const onMessage = (msg: { ok: true; result: Json } | { ok: false; error: string }) =>
        finish(msg.ok ? { ok: true, result: msg.result } : { ok: false, error: new IsolatedTaskError(msg.error) }, true)
      const onError = (error: unknown) => finish({ ok: false, error }, false)
      const onExit = (code: number) => finish({ ok: false, error: new Error(`the job's thread exited with code ${code}`) }, false)
      const timer = setTimeout(() => finish({ ok: false, error: new JobTimeout(job.id, timeoutSeconds), timedOut: true }, false), timeoutSeconds * 1000)
      thread.on('message', onMessage)
      thread.on('error', onError)
      thread.on('exit', onExit)
      thread.postMessage({ row })
    })
  }

  async close(): Promise<void> {
    const threads = [...this.#idle.splice(0), ...this.#busy]
    this.#busy.clear()
    await Promise.all(threads.map((t) => t.terminate()))
  }
}

/** The job as a row the thread can rebuild it from (structured-clone friendly). */
function toRow(job: Job): Record<string, unknown> {
  const iso = (d: { toISO(): string | null } | null) => (d ? d.toISO() : null)
  return {
    id: job.id, queue: job.origin, func: job.func, args: job.args, kwargs: job.kwargs, status: job.status,
    position: '0', description: job.description, timeout: job.timeout, result_ttl: job.resultTtl,
    failure_ttl: job.failureTtl, ttl: job.ttl, meta: job.meta, result: job.result, exc_info: job.excInfo,
    retry_max: job.retry.max, retry_intervals: job.retry.intervals, attempts: job.attempts,
    on_success: job.onSuccess, on_failure: job.onFailure, allow_dependency_failure: job.allowDependencyFailure,
    has_dependents: false, isolate: job.isolate, worker: job.worker, flow_id: job.flowId, schedule_id: job.scheduleId,
    created_at: iso(job.createdAt), enqueued_at: iso(job.enqueuedAt), scheduled_for: iso(job.scheduledFor),
    discard_at: iso(job.discardAt), started_at: iso(job.startedAt), ended_at: iso(job.endedAt), expires_at: iso(job.expiresAt),
  }
}
