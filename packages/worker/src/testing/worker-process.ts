/**
 * Helpers for the worker's process tests: spawn the real `pq-worker` bin, read its output, signal
 * it; the setup those tests share. The jest environment checks that a test left none running.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { afterEach, beforeAll } from '@jest/globals'
import { Queue, type Job } from '@pq/core'
import { sourceBin, useSchemaPerTest, waitFor, FIXTURES_PATH, type TestDatabase, type TestSchema } from '@pq/core/testing'

// The bin's TypeScript source (through tsx), so a test runs the code as it is, without a build.
const BIN = sourceBin('worker', 'pq-worker')
const children = new Set<ChildProcess>()
// pq's jest environment (scripts/jest/test-environment.mjs) fails a test that leaves one running.
;(globalThis as Record<symbol, unknown>)[Symbol.for('pq.testing.workerProcesses')] = () =>
  [...children].map((child) => ({ child, what: `pq-worker process ${child.pid} (${child.spawnargs.slice(1 + BIN.length).join(' ')})` }))

/** A spawned pq-worker. */
export interface WorkerProcess {
  readonly pid: number
  /** Everything written to stdout / stderr so far. */
  stdout(): string
  stderr(): string
  /** Resolves when the process exits, with its exit code (null when killed by a signal) and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves once stdout (or stderr) matches, else rejects after timeoutMs with what was printed. */
  waitForOutput(pattern: RegExp, options?: { timeoutMs?: number; stream?: 'stdout' | 'stderr' }): Promise<void>
  kill(signal: NodeJS.Signals): void
}

/** Spawns `pq-worker args...` on the test database (DATABASE_URL), with the fixtures as tasks root. */
export function spawnWorker(args: readonly string[], env: Record<string, string | undefined>): WorkerProcess {
  const child = spawn(process.execPath, [...BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  let out = ''
  let err = ''
  const listeners = new Set<() => void>()
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    for (const l of listeners) l()
  })
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString()
    for (const l of listeners) l()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child)
      // Let the pipes drain before anyone reads the output.
      setImmediate(() => resolve({ code, signal }))
    })
  })
  return {
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: (signal) => {
      child.kill(signal)
    },
    waitForOutput(pattern, options = {}) {
      // Generous: a bin started from source through tsx can take 15 s on a machine loaded 10x over.
      const timeoutMs = options.timeoutMs ?? 30000
      const text = () => (options.stream === 'stderr' ? err : out)
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(text())) return
          done()
          resolve()
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`pq-worker printed no ${pattern} within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`))
        }, timeoutMs)
        const onExit = () =>
          setImmediate(() => {
            if (pattern.test(text())) return
            done()
            reject(new Error(`pq-worker exited before printing ${pattern}; stdout:\n${out}\nstderr:\n${err}`))
          })
        const done = () => {
          clearTimeout(timer)
          listeners.delete(check)
          child.off('exit', onExit)
        }
        listeners.add(check)
        child.on('exit', onExit)
        check()
      })
    },
  }
}

/** What the process tests share, for a file's test database: see useWorkerProcesses. */
export interface WorkerProcessTests {
  /** The current test's own schema. */
  readonly schema: TestSchema
  /** A Queue in the test's schema. */
  readonly queue: (name: string, options?: { serial?: boolean }) => Queue
  /** `pq-worker --no-migrate args...` on the test's schema, with the fixtures as tasks root. */
  readonly pqWorker: (...args: string[]) => WorkerProcess
  /** Resolves once `job` is started (by `worker`, when named). */
  readonly startedBy: (job: Job, worker?: string) => Promise<unknown>
}

/**
 * The process tests' setup: each test on a fresh schema, served by real pq-worker processes. With
 * `runLog`, the file gets table fixture_run (where fixtures.logRun records each run), emptied after
 * each test.
 */
export function useWorkerProcesses(db: TestDatabase, options: { runLog?: boolean } = {}): WorkerProcessTests {
  const schema = useSchemaPerTest(db)
  if (options.runLog) useRunLog(db)
  return {
    schema,
    queue: (name, options = {}) => new Queue(name, { connection: db.url, schema: schema.name, ...options }),
    pqWorker: (...args) => spawnWorker(['--no-migrate', ...args], { DATABASE_URL: db.url, PQ_SCHEMA: schema.name, PQ_PATH: FIXTURES_PATH }),
    startedBy: (job, worker) =>
      waitFor(
        async () => {
          await job.refresh()
          return job.status === 'started' && (worker === undefined || job.worker === worker)
        },
        { what: `job ${job.id} to start`, timeoutMs: 15_000 },
      ),
  }
}

function useRunLog(db: TestDatabase): void {
  beforeAll(async () => {
    await db.pool.query(
      `create table fixture_run (job_id text not null, pid int not null, started_at timestamptz not null, ended_at timestamptz not null)`,
    )
  })
  afterEach(async () => {
    await db.pool.query('truncate fixture_run')
  })
}
