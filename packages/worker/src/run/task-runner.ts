import { Job, JobTimeout, UnknownFunction, resolveFunction, type ResolveOptions, type TaskFunction } from '@pq/core'
import { runTask, type TaskOutcome } from '@pq/core/internal'
import { IsolatedRunner } from './isolated-runner.js'
import { timerMs } from './timer-ms.js'

/** How one job run ended, from the worker's point of view. */
export type RunResult = TaskOutcome | { ok: false; error: unknown; timedOut: true }

/**
 * Runs a job's function with its timeout. In-process, the task gets an AbortSignal (`job.signal`)
 * that fires at the timeout; the job is failed then whether or not the task honours it. Isolated,
 * the task runs in a worker thread that is terminated at the timeout, as RQ kills its work horse.
 */
export class TaskRunner {
  readonly #path: string
  readonly #lookup: ResolveOptions
  readonly #isolated: IsolatedRunner
  /** In-process runs by job id: how to cut each short (a stray error of its task, a stop at once). */
  readonly #strays = new Map<string, (result: RunResult, reason: unknown) => void>()
  /** Functions found, by name: the lookup is the same for every job of a name, so it runs once. */
  readonly #resolved = new Map<string, TaskFunction>()

  constructor(
    path: string,
    isolatedOptions: { databaseUrl: string | undefined; schema: string },
    lookup: ResolveOptions = {},
    warn: (message: string) => void = () => {},
  ) {
    this.#path = path
    this.#lookup = lookup
    this.#isolated = new IsolatedRunner({ path, packages: lookup.packages ?? [], ...isolatedOptions }, warn)
  }

  async run(job: Job, timeoutSeconds: number, isolate: boolean, stopSignal: AbortSignal): Promise<RunResult> {
    if (isolate) {
      // The thread loads tasks from files: a function of the worker's map cannot cross into it.
      if (this.#lookup.tasks && Object.hasOwn(this.#lookup.tasks, job.func)) {
        return {
          ok: false,
          error: new UnknownFunction(
            job.func,
            `it is in the worker's tasks map, which isolated jobs cannot use (their thread loads tasks from files): run it without isolate, or move it into a module under the tasks root`,
          ),
        }
      }
      return this.#isolated.run(job, timeoutSeconds, stopSignal)
    }
    const abort = job.beginRun()
    let interrupt!: (result: RunResult, reason: unknown) => void
    // One promise for every way a run is cut short (timeout, stop at once, a stray error of the
    // task): a no-op job then costs one timer and two promises beside its own, where an
    // AbortController, three promises and a stop listener per job were a fifth of a worker's time.
    const interrupted = new Promise<RunResult>((resolve) => {
      interrupt = (result, reason) => {
        abort(reason)
        resolve(result)
      }
    })
    let timer: NodeJS.Timeout | undefined
    try {
      let fn = this.#resolved.get(job.func)
      if (!fn) {
        const found = await resolveFunction(job.func, this.#path, this.#lookup).catch((error: unknown) => error)
        if (typeof found !== 'function') return { ok: false, error: found }
        this.#resolved.set(job.func, (fn = found as TaskFunction))
      }
      timer = setTimeout(() => {
        const error = new JobTimeout(job.id, timeoutSeconds)
        interrupt({ ok: false, error, timedOut: true }, error)
      }, timerMs(timeoutSeconds))
      // A stop at once ends the run now, whether or not the task honours its signal: the job goes
      // back to its queue and the worker must not wait for it.
      if (stopSignal.aborted) return { ok: false, error: stopSignal.reason }
      this.#watchStop(stopSignal)
      // An error the task throws from a timer, or a rejection it leaves unhandled, fails the run.
      this.#strays.set(job.id, interrupt)
      return await Promise.race([runTask(fn, job), interrupted])
    } finally {
      this.#strays.delete(job.id)
      clearTimeout(timer)
      // job.signal stays: a timed-out task still running in the background must see it aborted.
    }
  }

  /** Stop signals already watched: one listener each, which interrupts every run in progress. */
  readonly #watched = new WeakSet<AbortSignal>()

  #watchStop(stopSignal: AbortSignal): void {
    if (this.#watched.has(stopSignal)) return
    this.#watched.add(stopSignal)
    stopSignal.addEventListener(
      'abort',
      () => {
        for (const interrupt of [...this.#strays.values()]) interrupt({ ok: false, error: stopSignal.reason }, stopSignal.reason)
      },
      { once: true },
    )
  }

  /** Fails the in-process run of job `id` with a stray error of its task; false when it is not running here. */
  failRun(id: string, error: unknown): boolean {
    const fail = this.#strays.get(id)
    fail?.({ ok: false, error }, error)
    return fail !== undefined
  }

  /** Live job threads (isolated runs). */
  get threadCount(): number {
    return this.#isolated.threadCount
  }

  async close(): Promise<void> {
    await this.#isolated.close()
  }
}
