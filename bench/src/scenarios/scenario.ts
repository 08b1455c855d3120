import type { BenchBackend } from '../backends/backend.js'
import type { WorkerPool } from '../harness/worker-pool.js'
import type { ScenarioName } from '../options.js'

/** One figure a scenario reports. */
export interface MetricSpec {
  readonly key: string
  /** Column or row title, e.g. 'consumer jobs/s', 'p99 ms'. */
  readonly label: string
  readonly unit: 'jobs/s' | 'ms' | 'per job'
  /** Shown in the table (others go to --json only). */
  readonly shown: boolean
}

/** What one run of a scenario has to work with. The runner has already reset the backend. */
export interface RunContext {
  readonly backend: BenchBackend
  /** Jobs in this run (N). */
  readonly jobs: number
  /** Worker processes (W); 0 for scenarios without workers. */
  readonly workers: number
  readonly concurrency: number
  readonly sleepMs: number
  /** Forks this run's W worker processes, connected but not consuming. */
  spawnWorkers(options?: { reportEachJob?: boolean }): Promise<WorkerPool>
  /** Moves the progress bar: `done` of `total` units of this run. */
  progress(done: number, total: number): void
}

/** What one run measured, and what the runner needs for the exactly-once check. */
export interface RunOutcome {
  readonly metrics: Readonly<Record<string, number>>
  /** Ids of every job the run enqueued. */
  readonly enqueued: readonly string[]
  /** Ids the worker processes ran (a duplicate appears twice); null when the scenario runs no jobs. */
  readonly executed: readonly string[] | null
  /** Jobs the worker processes saw fail (a failure makes the run an error). */
  readonly failed: number
}

/** A benchmark scenario: what it measures and how one run goes. */
export interface Scenario {
  readonly name: ScenarioName
  /** One sentence for the table's title, --help and the README. */
  readonly describe: (jobs: number, concurrency: number, sleepMs: number) => string
  /** False for scenarios with no worker processes (enqueue), which run once per repetition. */
  readonly usesWorkers: boolean
  readonly metrics: readonly MetricSpec[]
  /** The metric compared across backends (pq/Redis) and charted over the worker sweep. */
  readonly primary: string
  /** Jobs each worker process runs at once, when the scenario fixes it (drain-c1); else --concurrency. */
  readonly concurrency?: number
  /** Whether the scenario can measure this backend (write-cost needs Postgres); every backend when absent. */
  readonly supports?: (backend: BenchBackend) => boolean
  run(ctx: RunContext): Promise<RunOutcome>
}

/** Runs `body` with this run's worker processes, killing them if anything goes wrong. */
export async function withWorkers<T>(pool: WorkerPool, body: () => Promise<T>): Promise<{ result: T; executed: string[] }> {
  try {
    const result = await body()
    return { result, executed: await pool.stop() }
  } catch (err) {
    pool.kill()
    throw err
  }
}
