import { EventEmitter } from 'node:events'
import { DateTime } from 'luxon'
import type pg from 'pg'
import { Job, migrate, checkSchema, getCurrentJob, Workers, InvalidOption, type WorkerInfo, type WorkersOptions, type Json } from '@pq/core'
import {
  acquirePool,
  queryContext,
  readEnv,
  workChannel,
  controlChannel,
  jobRelease,
  jobAnyRunnable,
  workerNotifyProbe,
  type QueryContext,
  type ClaimedJobRow,
} from '@pq/core/internal'
import { resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from './worker-options.js'
import { ListenWaker } from './wake/listen-waker.js'
import { PollWaker } from './wake/poll-waker.js'
import type { Waker } from './wake/waker.js'
import { TaskRunner } from './run/task-runner.js'
import { Completions } from './run/completions.js'
import { runJob, type JobRunReport, type JobRunnerSettings } from './run/job-runner.js'
import { Heartbeat } from './heartbeat.js'
import { Claimer } from './claimer.js'
import { Maintenance } from './maintenance/maintenance.js'
import { BeganMarks } from './run/began-marks.js'
import { logWorkerEvents } from './worker-logging.js'
import { Histogram, type WorkerMetrics } from './metrics.js'

/** Events a Worker emits, with their arguments. */
export interface WorkerEvents {
  'worker:started': [{ name: string; queues: readonly string[]; mode: 'listen' | 'poll' }]
  'worker:idle': []
  'worker:stopped': [{ name: string; reason: string }]
  'job:started': [Job]
  'job:finished': [Job, JobRunReport]
  'job:failed': [Job, JobRunReport]
  /** A run ended but its job's row was gone or no longer this worker's (deleted, or recovered by another worker): nothing was recorded. */
  'job:vanished': [Job, JobRunReport]
  'job:retried': [Job, JobRunReport]
  'job:discarded': [Job, JobRunReport]
  'jobs:rescued': [{ id: string; status: string; worker: string }[]]
  'waker:mode-changed': ['listen' | 'poll']
  warning: [string]
}

/** How a worker was asked to stop: after its jobs in hand, or at once (they go back to the queue). */
export type StopMode = 'graceful' | 'now'

/** A started job of ours that we do not hold, this old, was lost on its way (see #maintainInBackground). */
const ORPHAN_AFTER_SECONDS = 60

/** Workers of this process between start and stop. */
/** A timestamp column's value in epoch milliseconds (pg gives Dates; a row read as JSON, strings). */
const epochMs = (d: Date | string): number => (typeof d === 'string' ? Date.parse(d) : d.getTime())

const liveWorkers = new Set<Worker>()

/**
 * Stray errors of task code (thrown from a timer, a rejection left unhandled) would crash the
 * process, failing every job in hand as "worker lost". While a worker runs they are caught here: the
 * job they come from (its async context says which) fails with the error; an error no running job
 * can be blamed for is reported, and if no job at all can be, every worker stops in good order and
 * its `work()` rejects with the error.
 */
function onStrayError(error: unknown): void {
  const job = getCurrentJob()
  for (const worker of liveWorkers) if (worker.strayError(job, error)) return
  if (job) {
    const text = error instanceof Error ? error.message : String(error)
    for (const worker of liveWorkers) worker.emit('warning', `job ${job.id} (${job.func}) threw after its run had ended: ${text}`)
    return
  }
  for (const worker of liveWorkers) worker.fatalError(error)
}

const onStrayRejection = (reason: unknown) => onStrayError(reason)

function trackLive(worker: Worker, live: boolean): void {
  const before = liveWorkers.size
  if (live) liveWorkers.add(worker)
  else liveWorkers.delete(worker)
  if (before === 0 && liveWorkers.size > 0) {
    process.on('uncaughtException', onStrayError)
    process.on('unhandledRejection', onStrayRejection)
  } else if (before > 0 && liveWorkers.size === 0) {
    process.off('uncaughtException', onStrayError)
    process.off('unhandledRejection', onStrayRejection)
  }
}

/** Workers started in this process and not yet stopped: tests check that none is left running. @internal */
export function runningWorkers(): readonly Worker[] {
  return [...liveWorkers]
}
// pq's jest environment (scripts/jest/test-environment.mjs) sits outside the test's module registry:
// it finds the list here to fail a test that leaves a worker running.
;(globalThis as Record<symbol, unknown>)[Symbol.for('pq.runningWorkers')] = runningWorkers

/**
 * A pq worker: claims jobs from its queues in priority order, runs them (up to `concurrency` at
 * once), records outcomes in batches, fires what is due, and keeps the queue tidy. It waits on
 * LISTEN/NOTIFY and falls back to polling.
 *
 * @example
 * const worker = new Worker({ queues: ['high', 'default'], concurrency: 4 })
 * process.on('SIGTERM', () => worker.stop())
 * await worker.work()
 */
export class Worker extends EventEmitter<WorkerEvents> {
  readonly options: ResolvedWorkerOptions
  #pool!: pg.Pool
  #releasePool!: () => Promise<void>
  #ctx!: QueryContext
  #waker!: Waker & { poke(): void }
  #taskRunner!: TaskRunner
  #completions!: Completions
  #began!: BeganMarks
  #maintenance!: Maintenance
  readonly #running = new Map<string, Promise<void>>()
  #buffer: ClaimedJobRow[] = []
  /** A claim in flight, resolving to how many jobs it added to the buffer. */
  #claiming: Promise<number> | undefined
  /** The last claim failed: its empty answer does not mean "nothing to claim". */
  #claimFailed = false
  readonly #interrupted: string[] = []
  #claimer!: Claimer
  #stopMode: StopMode | undefined
  #stopReason = ''
  readonly #loopAbort = new AbortController()
  readonly #runAbort = new AbortController()
  #slot: { promise: Promise<void>; resolve: () => void } | undefined
  #nextDueAt = Infinity
  #nextMaintenanceAt = 0
  #maintaining: Promise<void> | undefined
  #heartbeat!: Heartbeat
  #started = false
  #state: 'idle' | 'busy' | 'stopping' = 'idle'
  /** The loop waits idle for a notification: one for its queues starts a claim at once. */
  #idleWaiting = false
  #done: Promise<void> | undefined
  /** An error no job could be blamed for: the worker stopped because of it, and work() rejects with it. */
  #fatal: { error: unknown } | undefined
  readonly #claimWait = new Histogram()
  readonly #runTime = new Histogram()
  #processed = 0
  #failed = 0

  constructor(options: WorkerOptions = {}) {
    super()
    this.options = resolveWorkerOptions(options, readEnv(process.env))
    const logger = options.logger
    if (logger !== undefined) {
      const missing = (['debug', 'info', 'warn', 'error'] as const).filter((m) => typeof logger?.[m] !== 'function')
      if (missing.length)
        throw new InvalidOption(
          'logger',
          `the logger has no ${missing.join(', ')} method${missing.length > 1 ? 's' : ''}; pass an object with debug, info, warn and error (a pino logger, or console)`,
        )
      logWorkerEvents(this, logger)
    }
  }

  /** The worker's name (unique among live workers). */
  get name(): string {
    return this.options.name
  }

  /** 'listen' while LISTEN/NOTIFY works, else 'poll'. */
  get mode(): 'listen' | 'poll' {
    return this.#waker?.mode ?? 'poll'
  }

  /** Threads alive for isolated jobs (a timed-out job's thread is terminated). @internal */
  get isolatedThreads(): number {
    return this.#taskRunner?.threadCount ?? 0
  }

  /**
   * This worker's latency histograms (claim wait, run time) and counts since it started. Each
   * heartbeat also stores them in the worker's row, where the dashboard's /metrics endpoint reads them.
   */
  metrics(): WorkerMetrics {
    return {
      claimWaitSeconds: this.#claimWait.snapshot(),
      runSeconds: this.#runTime.snapshot(),
      processed: this.#processed,
      failed: this.#failed,
    }
  }

  /** Every live worker (heard from within a minute, by default). */
  static all(options: WorkersOptions = {}): Promise<WorkerInfo[]> {
    return Workers.all(options)
  }

  /** Workers serving `queue`: use it to check a queue is served. */
  static forQueue(queue: string, options: WorkersOptions = {}): Promise<WorkerInfo[]> {
    return Workers.forQueue(queue, options)
  }

  /** Runs until stopped (or, in burst mode, until no queue has runnable work). */
  work(): Promise<void> {
    this.#done ??= this.#work()
    return this.#done
  }

  /**
   * Stops the worker: 'graceful' (default) finishes the jobs in hand; 'now' aborts them and puts them
   * back in their queue for another worker. Resolves when the worker has stopped.
   */
  async stop(mode: StopMode = 'graceful', reason = mode === 'now' ? 'stopped at once' : 'stopped'): Promise<void> {
    if (this.#stopMode !== 'now') {
      this.#stopMode = mode
      this.#stopReason = reason
    }
    this.#loopAbort.abort()
    if (mode === 'now') this.#runAbort.abort(new Error('the worker was stopped at once'))
    this.#wakeSlotWaiters()
    if (this.#done) await this.#done.catch(() => {})
  }

  async #work(): Promise<void> {
    await this.#start()
    try {
      await this.#loop()
    } finally {
      await this.#shutdown()
    }
    if (this.#fatal) throw this.#fatal.error
  }

  /** Fails the run of `job` with a stray error of its task, if this worker runs it in-process. @internal */
  strayError(job: Job | undefined, error: unknown): boolean {
    if (!job || !this.#running.has(job.id) || !this.#taskRunner.failRun(job.id, error)) return false
    this.#warn(`job ${job.id} (${job.func}) failed with an error thrown outside its run`, error)
    return true
  }

  /** An error no job can be blamed for: stop now (jobs in hand go back to their queue), then reject work(). @internal */
  fatalError(error: unknown): void {
    this.#fatal ??= { error }
    this.#warn('an error outside any job; stopping, jobs in hand go back to their queue', error)
    void this.stop('now', 'stopped by an error outside any job')
  }

  async #start(): Promise<void> {
    const o = this.options
    const { pool, release } = acquirePool(o.connection, undefined)
    this.#pool = pool
    this.#releasePool = release
    this.#ctx = queryContext(pool, o.schema)
    try {
      if (o.migrate) await migrate(pool, { schema: o.schema })
      else await checkSchema(pool, o.schema)
      this.#waker = await this.#createWaker()
      this.#heartbeat = new Heartbeat(this.#ctx, o, {
        state: () => (this.#stopMode ? 'stopping' : this.#running.size ? 'busy' : this.#state),
        listenMode: () => this.#waker.mode,
        onStopRequested: () => {
          if (!this.#stopMode) void this.stop('graceful', 'asked to stop')
        },
        warn: (what, err) => this.#warn(what, err),
        metrics: () => this.metrics(),
      })
      await this.#heartbeat.register()
    } catch (err) {
      await this.#waker?.close()
      await release()
      throw err
    }
    this.#started = true
    trackLive(this, true)
    this.#claimer = new Claimer(this.#ctx, o)
    this.#taskRunner = new TaskRunner(o.path, { databaseUrl: connectionString(o.connection), schema: o.schema }, o.lookup, (m) =>
      this.emit('warning', m),
    )
    this.#completions = new Completions(
      this.#ctx,
      o.name,
      () => this.#waker.poke(),
      (m) => this.emit('warning', m),
    )
    this.#began = new BeganMarks(this.#ctx, o.name, (err) => this.#warn('marking started jobs failed', err))
    this.#maintenance = new Maintenance(this.#ctx, pool, o.heartbeatTimeout, o.maintenanceInterval)
    this.#heartbeat.start()
    this.emit('worker:started', { name: o.name, queues: o.queues, mode: this.#waker.mode })
  }

  async #createWaker(): Promise<Waker & { poke(): void }> {
    if (!this.options.listen) return new PollWaker()
    const waker = new ListenWaker({
      // Named, so operators (and tests) can tell the LISTEN connection apart in pg_stat_activity.
      connection: { ...clientConfig(this.options.connection), application_name: `pq-listen ${this.options.name}`.slice(0, 63) },
      channels: [workChannel(this.options.schema), controlChannel(this.options.schema)],
      onNotification: (channel, payload) => this.#onNotification(channel, payload),
      sendProbe: (channel, payload) => workerNotifyProbe(this.#ctx, { channel, payload }),
    })
    waker.on('mode', (mode: 'listen' | 'poll') => this.emit('waker:mode-changed', mode))
    const ok = await waker.start()
    if (!ok) {
      this.emit(
        'warning',
        `LISTEN/NOTIFY is unavailable (a transaction-mode pooler?); polling every ${this.options.fallbackPollInterval}s instead`,
      )
    }
    return waker
  }

  /** Reads a notification; false when it is not for this worker (no wake-up, no claim). */
  #onNotification(channel: string, payload: string): boolean {
    let message: { queue?: unknown; due?: unknown; stop?: unknown }
    try {
      message = JSON.parse(payload) as typeof message
    } catch {
      return true // unknown shape: a claim too many is cheap, a missed job is not
    }
    if (channel === controlChannel(this.options.schema)) {
      if (message.stop === this.options.name) void this.stop('graceful', 'asked to stop')
      return false
    }
    if (typeof message.due === 'string') {
      const due = Date.parse(message.due)
      if (Number.isFinite(due) && due < this.#nextDueAt) this.#nextDueAt = due
      return true
    }
    // Every worker hears every queue's notifications: one for a queue it does not serve would only
    // cost it a claim that finds nothing.
    const queues = this.options.queues
    const forUs = !(typeof message.queue === 'string' && queues.length > 0 && !queues.includes(message.queue))
    // An idle worker claims from here, not after the loop has woken: that hop (the wait's promises,
    // the loop's checks) cost about 0.2 ms of every wake-up. The loop then finds the claim in flight.
    if (forUs && this.#idleWaiting) this.#claimInBackground()
    return forUs
  }

  async #loop(): Promise<void> {
    const o = this.options
    // Look for due work at once: a worker may start long after runs fell due.
    this.#nextDueAt = 0
    while (!this.#stopMode) {
      const now = Date.now()
      if (now >= this.#nextMaintenanceAt) this.#maintainInBackground()
      if (now >= this.#nextDueAt) await this.#fireDue()
      // Jobs claimed ahead start first; the claim refilling the buffer then overlaps their run.
      this.#startFromBuffer()
      let claimedNothing = false
      const ahead = this.#claimer.ahead()
      const wanted = this.#wanted()
      // Refill before the buffer runs dry (at half of what is claimed ahead), in the background.
      if (!this.#claiming && wanted > 0 && this.#buffer.length <= ahead / 2 && !this.#stopMode) this.#claimInBackground()
      if (this.#buffer.length === 0 && this.#claiming) {
        claimedNothing = (await this.#claiming) === 0 && this.#buffer.length === 0
        this.#startFromBuffer()
        // A claim that failed found out nothing: claim again now (it paused), not at the next tick.
        if (this.#claimFailed) {
          this.#claimFailed = false
          claimedNothing = false
        }
      }
      if (this.#stopMode) break
      if (this.#running.size >= o.concurrency) {
        await this.#nextSlot()
        continue
      }
      if (!claimedNothing) continue
      if (this.#running.size > 0) {
        await this.#waitFor(this.#deadline(), true)
        continue
      }
      // Idle: record outcomes first (they may release dependents), then decide.
      await this.#completions.flush().catch((err) => this.#warn('recording outcomes failed', err))
      if (o.burst) {
        if (!(await this.#anythingRunnable())) {
          this.#stopReason = 'No more work, burst finished.'
          break
        }
        // Runnable, yet nothing to claim: a serial queue's lock is held elsewhere, or rows are being
        // claimed by another worker. Wait for a notification (or a short poll) instead of spinning.
        await this.#waitFor(DateTime.fromMillis(Math.min(Date.now() + o.fallbackPollInterval * 1000, this.#deadline().toMillis())), false)
        continue
      }
      this.#setState('idle')
      this.emit('worker:idle')
      this.#idleWaiting = true
      try {
        await this.#waitFor(this.#deadline(), false)
      } finally {
        this.#idleWaiting = false
      }
    }
  }

  /** How many jobs a claim now should ask for: the free slots, plus the claim ahead, less the buffer. */
  #wanted(): number {
    return this.options.concurrency + this.#claimer.ahead() - this.#running.size - this.#buffer.length
  }

  /**
   * Starts a claim unless one is in flight; its jobs start as soon as they land (the loop, awaiting
   * the claim, would start them a turn later) and the loop hears of it through `#claiming`.
   */
  #claimInBackground(): void {
    const wanted = this.#wanted()
    if (this.#claiming || wanted <= 0 || this.#stopMode) return
    this.#claiming = this.#claim(wanted)
      .then((jobs) => {
        this.#buffer.push(...jobs)
        this.#startFromBuffer()
        return jobs.length
      })
      .finally(() => {
        this.#claiming = undefined
        this.#wakeSlotWaiters()
      })
  }

  #startFromBuffer(): void {
    while (this.#buffer.length > 0 && this.#running.size < this.options.concurrency && !this.#stopMode)
      this.#startJob(this.#buffer.shift()!)
  }

  /** Claims for the loop; on a failing statement, says so and pauses briefly. */
  async #claim(limit: number): Promise<ClaimedJobRow[]> {
    const { rows, error } = await this.#claimer.claim(limit)
    if (error !== undefined) {
      this.#claimFailed = true
      this.#warn('claiming jobs failed', error)
      await this.#waitFor(DateTime.utc().plus({ milliseconds: 500 }), false)
    }
    return rows
  }

  /** What every run needs from the options (made once). */
  #runSettings: JobRunnerSettings | undefined

  #startJob(row: ClaimedJobRow): void {
    const job = new Job({ ctx: this.#ctx, pool: this.#pool }, row)
    this.#setState('busy')
    if (row.enqueued_at && row.started_at) this.#claimWait.observe((epochMs(row.started_at) - epochMs(row.enqueued_at)) / 1000)
    this.emit('job:started', job)
    const serial = row.serial_claim === true
    const settings = (this.#runSettings ??= {
      path: this.options.path,
      lookup: this.options.lookup,
      defaultTimeout: this.options.defaultTimeout,
      isolate: this.options.isolate,
      exceptionHandlers: this.options.exceptionHandlers,
      warn: (m: string) => this.emit('warning', m),
    })
    let run: Promise<JobRunReport>
    if (row.confirm_start && !row.began) {
      // A lost worker held this job before (it may be what killed it): record the start before
      // running, so that if it kills this worker too, the death counts against it.
      run = this.#began.markNow(row.id).then(() => runJob(job, this.#taskRunner, settings, this.#runAbort.signal))
    } else {
      this.#began.started(row.id)
      run = runJob(job, this.#taskRunner, settings, this.#runAbort.signal)
    }
    // The slot frees when the run ends, not when its outcome is recorded: the next job runs while
    // the completion batch is written, and outcomes of jobs ending close together share a batch.
    this.#running.set(row.id, this.#afterRun(row.id, run, serial))
  }

  /** When a run ends: hands its outcome to the completion batch, then frees its slot (one promise per job, not four). */
  async #afterRun(id: string, run: Promise<JobRunReport>, serial: boolean): Promise<void> {
    try {
      const report = await run
      const recording = this.#record(id, report, serial)
      // A job marked begun keeps its slot until its outcome is committed: were the next job to
      // kill the worker first, rescue would count that death against this finished job.
      if (this.#began.wasMarked(id)) await recording
    } catch (err) {
      // Only the start mark of a job a lost worker held can fail here: the job stays started until recovered.
      this.#warn(`job ${id} could not start; it stays started until another worker recovers it`, err)
    } finally {
      this.#began.ended(id)
      this.#running.delete(id)
      this.#heartbeat.stateChanged()
      this.#wakeSlotWaiters()
    }
  }

  async #record(id: string, report: JobRunReport, serial: boolean): Promise<void> {
    if (this.#runAbort.signal.aborted) {
      this.#interrupted.push(id) // stopped at once: the job goes back to its queue
      return
    }
    this.#heartbeat.count(null, report.seconds)
    if (report.outcome.status !== 'canceled') this.#runTime.observe(report.seconds)
    this.#claimer.noteRun(report.seconds)
    let recorded: boolean
    try {
      recorded = await this.#completions.add(report.outcome, serial)
    } catch (err) {
      this.#warn(`recording the outcome of job ${id} failed; it stays started until another worker recovers it`, err)
      return
    }
    if (recorded) this.#report(report)
    else this.emit('job:vanished', report.job, report)
  }

  #report(report: JobRunReport): void {
    const status = report.outcome.status
    const job = report.job
    job.status = status
    if (status === 'finished') {
      this.#heartbeat.count('successful')
      this.#processed++
      job.result = report.outcome.result === null ? null : (JSON.parse(report.outcome.result) as Json)
      this.emit('job:finished', job, report)
    } else if (status === 'failed') {
      this.#heartbeat.count('failed')
      this.#failed++
      job.excInfo = report.outcome.excInfo
      this.emit('job:failed', job, report)
    } else if (status === 'canceled') {
      this.emit('job:discarded', job, report)
    } else {
      this.#heartbeat.count('failed')
      this.#failed++
      if (report.outcome.retryAt) this.#nextDueAt = Math.min(this.#nextDueAt, report.outcome.retryAt.toMillis())
      this.emit('job:retried', job, report)
    }
  }

  async #fireDue(): Promise<void> {
    try {
      await this.#maintenance.fireDue()
      const next = await this.#maintenance.nextDue()
      this.#nextDueAt = next ? next.getTime() : Infinity
    } catch (err) {
      this.#warn('firing due work failed', err)
      this.#nextDueAt = Date.now() + 1000
    }
  }

  #maintainInBackground(): void {
    this.#nextMaintenanceAt = Date.now() + this.options.maintenanceInterval * 1000
    if (this.#maintaining) return
    this.#maintaining = (async () => {
      try {
        // Jobs started under our name that we no longer hold, older than any claim in flight, are
        // orphans too (a claim's reply lost with its connection): no job stays started forever.
        const keep = [...this.#running.keys(), ...this.#buffer.map((r) => r.id), ...this.#completions.recording]
        const report = await this.#maintenance.run({ worker: this.options.name, keep, olderThanSeconds: ORPHAN_AFTER_SECONDS })
        if (report.rescued.length) this.emit('jobs:rescued', report.rescued)
        if (report.released || report.rescued.some((r) => r.status === 'queued')) this.#waker.poke()
      } catch (err) {
        this.#warn('maintenance failed', err)
      } finally {
        this.#maintaining = undefined
      }
    })()
  }

  /** In burst mode: is there anything runnable left (or due now) in the served queues? */
  async #anythingRunnable(): Promise<boolean> {
    await this.#fireDue()
    try {
      return await jobAnyRunnable(this.#ctx, { queues: this.options.queues })
    } catch (err) {
      this.#warn('checking for work failed', err)
      return true // not knowing is not "nothing left": look again after a pause
    }
  }

  #deadline(): DateTime {
    const o = this.options
    const poll = (this.#waker.mode === 'listen' ? o.workerTtl : o.fallbackPollInterval) * 1000
    return DateTime.fromMillis(Math.min(Date.now() + poll, this.#nextDueAt, this.#nextMaintenanceAt))
  }

  /** Waits for a notification or the deadline (and, when jobs run, for a free slot). */
  async #waitFor(until: DateTime, orSlot: boolean): Promise<void> {
    const local = new AbortController()
    const onStop = () => local.abort()
    this.#loopAbort.signal.addEventListener('abort', onStop, { once: true })
    try {
      const waits: Promise<unknown>[] = [this.#waker.wait(until, local.signal)]
      if (orSlot) waits.push(this.#nextSlot())
      await Promise.race(waits)
    } finally {
      local.abort()
      this.#loopAbort.signal.removeEventListener('abort', onStop)
    }
  }

  /** Resolves when a running job ends; every waiter shares one promise, so waits never pile up. */
  #nextSlot(): Promise<void> {
    if (!this.#slot) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => {
        resolve = r
      })
      this.#slot = { promise, resolve }
    }
    return this.#slot.promise
  }

  #wakeSlotWaiters(): void {
    const slot = this.#slot
    this.#slot = undefined
    slot?.resolve()
  }

  #setState(state: 'idle' | 'busy' | 'stopping'): void {
    this.#state = state
    this.#heartbeat.stateChanged()
  }

  async #shutdown(): Promise<void> {
    if (!this.#started) return
    this.#setState('stopping')
    try {
      // Claimed jobs nobody will start go back first, so other workers can take them while ours end
      // (after a claim still in flight has landed in the buffer).
      await this.#claiming?.catch(() => 0)
      await this.#release(this.#buffer.splice(0).map((row) => row.id))
      if (this.#stopMode === 'now') this.#completions.close()
      // A graceful stop waits for the jobs in hand; a stop at once (even one arriving meanwhile)
      // ends them at once, and they land in #interrupted.
      await Promise.all([...this.#running.values()])
      this.#completions.close()
      await this.#completions.flush().catch((err) => this.#warn('recording outcomes failed', err))
      await this.#release(this.#interrupted.splice(0))
      await this.#maintaining
      // Heartbeats go on until here: a long graceful stop must not look like a lost worker.
      await this.#began.stop()
      await this.#heartbeat.stop()
      await this.#waker.close()
      await this.#taskRunner.close()
      await this.#releasePool()
    } finally {
      trackLive(this, false)
    }
    this.emit('worker:stopped', { name: this.options.name, reason: this.#stopReason || 'stopped' })
  }

  /** Puts jobs this worker claimed back in their queue (attempt not counted). */
  async #release(ids: string[]): Promise<void> {
    if (ids.length === 0) return
    await jobRelease(this.#ctx, { ids, worker: this.options.name }).catch((err) => this.#warn('putting jobs back failed', err))
  }

  #warn(what: string, err: unknown): void {
    this.emit('warning', `${what}: ${err instanceof Error ? err.message : String(err)}`)
  }
}

function clientConfig(connection: ResolvedWorkerOptions['connection']): pg.ClientConfig {
  if (connection === undefined) return {}
  if (typeof connection === 'string') return { connectionString: connection }
  if ('totalCount' in connection) return connection.options
  return connection
}

function connectionString(connection: ResolvedWorkerOptions['connection']): string | undefined {
  if (typeof connection === 'string') return connection
  const config = clientConfig(connection)
  return typeof config.connectionString === 'string' ? config.connectionString : undefined
}
