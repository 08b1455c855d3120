import { fork, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { ChildConfig, ChildMessage, ProgressMessage } from '../child/protocol.js'
import { clockMs } from './clock.js'

const CHILD_SHIM = fileURLToPath(new URL('../../bin/bench-child.js', import.meta.url))
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 30_000
const STDERR_TAIL = 4000

/** Totals over the pool's processes; instants are clockMs() stamps. */
export interface PoolProgress {
  finished: number
  failed: number
  firstStartedAt: number | null
  lastFinishedAt: number | null
}

/** A job start or end reported by a process in per-job mode. */
export type JobEventListener = (event: 'started' | 'finished', seq: number | null, at: number) => void

class Child {
  progress: ProgressMessage = { type: 'progress', finished: 0, failed: 0, firstStartedAt: null, lastFinishedAt: null }
  stderr = ''
  exited: number | null = null
  constructor(
    readonly process: ChildProcess,
    readonly config: ChildConfig,
  ) {}
}

/** Raised when a worker process fails, dies, stalls or does not stop: the run cannot be trusted. */
export class WorkerProcessFailed extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(stderr.trim() ? `${message}; its stderr ends: ${lastLines(stderr)}` : message)
    this.name = 'WorkerProcessFailed'
  }
}

/**
 * W benchmark worker processes of one backend. Spawned and connected first (`spawn` resolves when
 * each says ready), released together (`start`), stopped together (`stop`), which hands back every
 * job id they ran. Any process dying or failing fails the pool's pending wait.
 */
export class WorkerPool {
  readonly #children: Child[]
  #failure: WorkerProcessFailed | null = null
  #stopping = false
  readonly #waiters = new Set<() => void>()
  /** Per-job events, when the processes were spawned with reportEachJob. */
  onJob: JobEventListener | null = null

  private constructor(children: Child[]) {
    this.#children = children
  }

  /** Forks one process per config and waits until every one is connected and ready. */
  static async spawn(configs: readonly ChildConfig[], env: NodeJS.ProcessEnv): Promise<WorkerPool> {
    const children = configs.map(
      (config) =>
        new Child(
          fork(CHILD_SHIM, [JSON.stringify(config)], {
            env,
            execArgv: [],
            stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
            serialization: 'json',
          }),
          config,
        ),
    )
    const pool = new WorkerPool(children)
    for (const child of children) pool.#watch(child)
    try {
      await pool.#all('ready', READY_TIMEOUT_MS)
    } catch (err) {
      pool.kill()
      throw err
    }
    return pool
  }

  /** Releases every process; resolves once each is consuming, with the instant the last one was. */
  async start(): Promise<number> {
    const running = this.#all('running', READY_TIMEOUT_MS)
    for (const child of this.#children) child.process.send({ type: 'start' })
    await running
    return clockMs()
  }

  /** Current totals over all processes. */
  get progress(): PoolProgress {
    const total: PoolProgress = { finished: 0, failed: 0, firstStartedAt: null, lastFinishedAt: null }
    for (const { progress: p } of this.#children) {
      total.finished += p.finished
      total.failed += p.failed
      if (p.firstStartedAt !== null) total.firstStartedAt = Math.min(total.firstStartedAt ?? Infinity, p.firstStartedAt)
      if (p.lastFinishedAt !== null) total.lastFinishedAt = Math.max(total.lastFinishedAt ?? 0, p.lastFinishedAt)
    }
    return total
  }

  /**
   * Resolves once `jobs` jobs have ended (finished or failed); `onProgress` sees every change. Fails
   * when a process dies, or when nothing ends for `stallMs` (jobs lost, or a backend wedged).
   */
  async waitForEnded(jobs: number, options: { stallMs?: number; onProgress?: (p: PoolProgress) => void } = {}): Promise<PoolProgress> {
    const stallMs = options.stallMs ?? 30_000
    return new Promise<PoolProgress>((resolve, reject) => {
      let last = -1
      let lastChangeAt = Date.now()
      const check = (): void => {
        if (this.#failure) return done(this.#failure)
        const p = this.progress
        const ended = p.finished + p.failed
        if (ended !== last) {
          last = ended
          lastChangeAt = Date.now()
          options.onProgress?.(p)
        }
        if (ended >= jobs) return done(null, p)
        if (Date.now() - lastChangeAt > stallMs) {
          done(new WorkerProcessFailed(`no job ended for ${stallMs / 1000} s: ${ended} of ${jobs} ended`, ''))
        }
      }
      const timer = setInterval(check, 250)
      const done = (err: Error | null, p?: PoolProgress): void => {
        clearInterval(timer)
        this.#waiters.delete(check)
        if (err) reject(err)
        else resolve(p!)
      }
      this.#waiters.add(check)
      check()
    })
  }

  /** Tells every process to stop, waits for them to exit, and returns all job ids they ran. */
  async stop(): Promise<string[]> {
    this.#stopping = true
    const live = this.#children.filter((c) => c.exited === null)
    const exits = Promise.all(live.map((c) => new Promise<void>((resolve) => c.process.once('exit', () => resolve()))))
    for (const child of live) if (child.process.connected) child.process.send({ type: 'stop' })
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS)
    })
    const outcome = await Promise.race([exits.then(() => 'exited' as const), timeout])
    clearTimeout(timer)
    if (outcome === 'timeout') {
      this.kill()
      throw new WorkerProcessFailed(`a worker process did not stop within ${STOP_TIMEOUT_MS / 1000} s`, this.#stderr())
    }
    if (this.#failure) throw this.#failure
    const failedExit = this.#children.find((c) => c.exited !== 0)
    if (failedExit)
      throw new WorkerProcessFailed(`worker process ${failedExit.config.index} exited with code ${failedExit.exited}`, failedExit.stderr)
    const files = await Promise.all(this.#children.map((c) => readFile(c.config.idsFile, 'utf8')))
    return files.flatMap((text) => (text ? text.split('\n') : []))
  }

  /** Kills every process still running (after a failure); safe to call twice. */
  kill(): void {
    this.#stopping = true
    for (const child of this.#children) if (child.exited === null) child.process.kill('SIGKILL')
  }

  #watch(child: Child): void {
    const keep = (chunk: Buffer): void => {
      child.stderr = (child.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL)
    }
    child.process.stderr?.on('data', keep)
    child.process.stdout?.on('data', keep) // a worker's own logging: kept for failure reports only
    child.process.on('message', (message: ChildMessage) => {
      if (message.type === 'progress') child.progress = message
      else if (message.type === 'job') this.onJob?.(message.event, message.seq, message.at)
      else if (message.type === 'error')
        this.#fail(new WorkerProcessFailed(`worker process ${child.config.index} failed: ${message.message}`, child.stderr))
      this.#notify()
    })
    child.process.on('exit', (code, signal) => {
      child.exited = code ?? (signal ? 128 : 1)
      if (!this.#stopping) {
        this.#fail(new WorkerProcessFailed(`worker process ${child.config.index} exited early (${signal ?? `code ${code}`})`, child.stderr))
      }
      this.#notify()
    })
    child.process.on('error', (err) =>
      this.#fail(new WorkerProcessFailed(`worker process ${child.config.index}: ${err.message}`, child.stderr)),
    )
  }

  #fail(err: WorkerProcessFailed): void {
    this.#failure ??= err
    this.#notify()
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter()
  }

  /** Waits until every process has sent `type` once more. */
  #all(type: 'ready' | 'running', timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let pending = this.#children.length
      const listeners = this.#children.map((child) => {
        const listener = (message: ChildMessage): void => {
          if (message.type === type && --pending === 0) finish(null)
        }
        child.process.on('message', listener)
        return { child, listener }
      })
      const timer = setTimeout(
        () => finish(new WorkerProcessFailed(`worker processes not ${type} after ${timeoutMs / 1000} s`, this.#stderr())),
        timeoutMs,
      )
      const check = (): void => {
        if (this.#failure) finish(this.#failure)
      }
      const finish = (err: Error | null): void => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        for (const { child, listener } of listeners) child.process.off('message', listener)
        if (err) reject(err)
        else resolve()
      }
      this.#waiters.add(check)
      check()
    })
  }

  #stderr(): string {
    return this.#children.map((c) => c.stderr).join('\n')
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ')
}
