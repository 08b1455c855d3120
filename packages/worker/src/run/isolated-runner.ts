import { Worker as Thread } from 'node:worker_threads'
import type { Job, Json } from '@pq/core'
import { JobTimeout } from '@pq/core'
import { jobRow } from '@pq/core/internal'
import type { RunResult } from './task-runner.js'
import { timerMs } from './timer-ms.js'

// Built, the thread body is plain JS; from TypeScript source (tests) it needs a loader in the thread.
const THREAD_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./isolated-entry.mjs', import.meta.url)
  : new URL('./isolated-thread.js', import.meta.url)

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
  readonly #dying = new Set<Promise<unknown>>()
  readonly #data: { path: string; packages: readonly string[]; databaseUrl: string | undefined; schema: string }
  readonly #warn: (message: string) => void

  constructor(
    data: { path: string; packages: readonly string[]; databaseUrl: string | undefined; schema: string },
    warn: (message: string) => void = () => {},
  ) {
    this.#data = data
    this.#warn = warn
  }

  /**
   * A new thread, with listeners it keeps for life: an error (or exit) while it is idle (a stray
   * error of the job it ran last, thrown after that job returned) ends that thread alone. Without
   * a listener, a thread's 'error' event would be unhandled and crash the whole worker.
   */
  #spawn(): Thread {
    const thread = new Thread(THREAD_ENTRY, { workerData: this.#data })
    thread.on('error', (error: unknown) => {
      if (this.#busy.has(thread)) return // the run's own listener fails its job
      this.#drop(thread)
      this.#warn(`an idle job thread failed and was terminated: ${error instanceof Error ? error.message : String(error)}`)
    })
    thread.on('exit', () => {
      if (!this.#busy.has(thread)) this.#drop(thread)
    })
    return thread
  }

  #drop(thread: Thread): void {
    const i = this.#idle.indexOf(thread)
    if (i < 0) return
    this.#idle.splice(i, 1)
    this.#terminate(thread)
  }

  /** Live threads, idle or busy (tests check that a timed-out job's thread is gone). */
  get threadCount(): number {
    return this.#idle.length + this.#busy.size + this.#dying.size
  }

  /** Runs a job in a thread; a stop at once (`stopSignal`) or the timeout terminates the thread. */
  async run(job: Job, timeoutSeconds: number, stopSignal: AbortSignal): Promise<RunResult> {
    const thread = this.#idle.pop() ?? this.#spawn()
    this.#busy.add(thread)
    // The claimed row as it is: structured clone carries its Dates, and the thread builds its Job from it.
    const row = jobRow(job)
    return new Promise<RunResult>((resolve) => {
      let settled = false
      const finish = (result: RunResult, keep: boolean) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        stopSignal.removeEventListener('abort', onStop)
        thread.off('message', onMessage)
        thread.off('error', onError)
        thread.off('exit', onExit)
        this.#busy.delete(thread)
        if (keep) this.#idle.push(thread)
        else this.#terminate(thread)
        resolve(result)
      }
      const onMessage = (msg: { ok: true; result: Json } | { ok: false; error: string }) =>
        finish(msg.ok ? { ok: true, result: msg.result } : { ok: false, error: new IsolatedTaskError(msg.error) }, true)
      const onError = (error: unknown) => finish({ ok: false, error }, false)
      const onExit = (code: number) => finish({ ok: false, error: new Error(`the job's thread exited with code ${code}`) }, false)
      const onStop = () => finish({ ok: false, error: stopSignal.reason }, false)
      const timer = setTimeout(
        () => finish({ ok: false, error: new JobTimeout(job.id, timeoutSeconds), timedOut: true }, false),
        timerMs(timeoutSeconds),
      )
      if (stopSignal.aborted) return onStop()
      stopSignal.addEventListener('abort', onStop, { once: true })
      thread.on('message', onMessage)
      thread.on('error', onError)
      thread.on('exit', onExit)
      thread.postMessage({ row })
    })
  }

  async close(): Promise<void> {
    const threads = [...this.#idle.splice(0), ...this.#busy]
    this.#busy.clear()
    for (const t of threads) this.#terminate(t)
    await Promise.all([...this.#dying])
  }

  #terminate(thread: Thread): void {
    const dying: Promise<unknown> = thread
      .terminate()
      .catch(() => {})
      .finally(() => this.#dying.delete(dying))
    this.#dying.add(dying)
  }
}
