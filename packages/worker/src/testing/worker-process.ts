/**
 * Helpers for the worker's process tests: spawn the real `pq-worker` bin, read its output, signal
 * it. The jest environment checks that a test left none running.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { sourceBin } from '@pq/core/testing'

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
