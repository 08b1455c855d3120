import { hostname } from 'node:os'
import { InvalidOption } from '@pq/core'
import { workerRegister, workerHeartbeat, workerDeregister, workerWhere, type QueryContext } from '@pq/core/internal'
import type { ResolvedWorkerOptions } from './worker-options.js'

/** What the heartbeat reads from its worker at each beat. */
export interface HeartbeatSource {
  state(): 'idle' | 'busy' | 'stopping'
  listenMode(): 'listen' | 'poll'
  /** Called when an operator asked this worker to stop (pq-worker --stop / --terminate). */
  onStopRequested(): void
  warn(what: string, err: unknown): void
  /** The worker's histograms, stored with each beat so another process's /metrics can read them. */
  metrics(): unknown
}

/**
 * A worker's row in the registry: registration, a heartbeat carrying its counts, and removal at a
 * clean exit. Other workers declare it lost when the beats stop (kill -9), so it beats at least
 * every 15 s whatever the timeout: readers (Worker.all, pq-stats) count a minute of silence as death.
 */
export class Heartbeat {
  readonly #ctx: QueryContext
  readonly #options: ResolvedWorkerOptions
  readonly #source: HeartbeatSource
  #timer: NodeJS.Timeout | undefined
  #soon: NodeJS.Timeout | undefined
  #beatenState: string | undefined
  #lastBeatAt = 0
  #counts = { successful: 0, failed: 0, workingSeconds: 0 }

  constructor(ctx: QueryContext, options: ResolvedWorkerOptions, source: HeartbeatSource) {
    this.#ctx = ctx
    this.#options = options
    this.#source = source
  }

  /** Registers the worker; refuses a name a live worker holds. */
  async register(): Promise<void> {
    if (!(await this.#register()) && !(await this.#replaceGoneProcess())) {
      throw new InvalidOption('name', `a live worker named "${this.#options.name}" is already running; choose another --name`)
    }
  }

  /** Starts beating, with a first beat at once: the row must not read "starting" until the interval's first beat. */
  start(): void {
    const ms = Math.min(15_000, Math.max(200, (this.#options.heartbeatTimeout * 1000) / 4))
    this.#timer = setInterval(() => void this.beat(), ms)
    this.#timer.unref()
    void this.beat()
  }

  /**
   * The worker's state may have changed (a job started or ended): beat soon when it differs from the
   * one last recorded, at most once a second, so readers see busy or idle without waiting up to 15 s.
   */
  stateChanged(): void {
    if (this.#timer === undefined || this.#soon !== undefined || this.#source.state() === this.#beatenState) return
    this.#soon = setTimeout(
      () => {
        this.#soon = undefined
        if (this.#source.state() !== this.#beatenState) void this.beat()
      },
      Math.max(0, this.#lastBeatAt + 1000 - Date.now()),
    )
    this.#soon.unref()
  }

  /** Counts a job's outcome and time; the next beat carries them. */
  count(outcome: 'successful' | 'failed' | null, seconds = 0): void {
    if (outcome) this.#counts[outcome]++
    this.#counts.workingSeconds += seconds
  }

  /** Records that the worker is alive (with its counts since the last beat). */
  async beat(): Promise<void> {
    const counts = this.#counts
    this.#counts = { successful: 0, failed: 0, workingSeconds: 0 }
    const state = this.#source.state()
    this.#beatenState = state
    this.#lastBeatAt = Date.now()
    try {
      const beat = await workerHeartbeat(this.#ctx, {
        name: this.#options.name,
        state,
        listenMode: this.#source.listenMode(),
        ...counts,
        metrics: this.#source.metrics(),
      })
      if (!beat) {
        // Another worker declared us lost (we missed heartbeats): register again and carry on.
        await this.#register()
      } else if (beat.stopRequested) {
        this.#source.onStopRequested()
      }
    } catch (err) {
      this.#counts.successful += counts.successful
      this.#counts.failed += counts.failed
      this.#counts.workingSeconds += counts.workingSeconds
      this.#source.warn('heartbeat failed', err)
    }
  }

  /** A last beat (for the final counts), then the row goes: the worker has stopped cleanly. */
  async stop(): Promise<void> {
    clearInterval(this.#timer)
    clearTimeout(this.#soon)
    this.#timer = undefined
    await this.beat()
    await workerDeregister(this.#ctx, { name: this.#options.name }).catch((err) => this.#source.warn('deregistering failed', err))
  }

  /**
   * The name's row looks alive, but if it belongs to a process of this host that is gone (killed
   * with -9, restarted by a supervisor under the same --name), take it over now rather than after
   * the heartbeat timeout; the first maintenance pass then rescues the jobs it left started.
   */
  async #replaceGoneProcess(): Promise<boolean> {
    const held = await workerWhere(this.#ctx, { name: this.#options.name })
    if (!held || held.host !== hostname() || held.pid === process.pid || processAlive(held.pid)) return false
    return this.#register(held.pid)
  }

  #register(replacesPid?: number): Promise<boolean> {
    const o = this.#options
    return workerRegister(this.#ctx, {
      name: o.name,
      host: hostname(),
      pid: process.pid,
      queues: [...o.queues],
      concurrency: o.concurrency,
      listenMode: this.#source.listenMode(),
      liveSeconds: o.heartbeatTimeout,
      replacesPid,
    })
  }
}

/** Whether a process of this host is alive (EPERM: it is, but not ours to signal). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
