/**
 * pq-bench's options: what a caller (the CLI, the smoke test) may set, and the frozen, validated form
 * the runner takes. Bad values fail here, before any connection is opened.
 */

/** The scenarios pq-bench knows, in the order `all` runs them. */
export const SCENARIOS = ['throughput', 'drain', 'drain-c1', 'drain-100k', 'latency', 'enqueue', 'sleep', 'write-cost'] as const
export type ScenarioName = (typeof SCENARIOS)[number]

/**
 * The measured systems, in the order each repetition runs them: pq, BullMQ on Redis, graphile-worker,
 * and the minimal SQL claim loop that marks the ceiling ("limit").
 */
export const BACKENDS = ['pq', 'redis', 'graphile', 'limit'] as const
export type BackendKind = (typeof BACKENDS)[number]

/** The `--backend` choices besides a comma list of BACKENDS: `both` is pq and Redis, `all` is every one. */
export const BACKEND_CHOICES = [...BACKENDS, 'both', 'all'] as const
export type BackendChoice = (typeof BACKEND_CHOICES)[number]

/** Jobs per run when N is not given: sized so a default run takes seconds on a 2-core machine. */
export const DEFAULT_JOBS: Readonly<Record<ScenarioName, number>> = {
  throughput: 10_000,
  drain: 20_000,
  'drain-c1': 20_000,
  'drain-100k': 100_000,
  latency: 500,
  enqueue: 5_000,
  sleep: 200,
  'write-cost': 2_000,
}

/** The task's sleep in the `sleep` scenario when `--sleep` is not given (django-pq's slow-task case). */
export const DEFAULT_SLOW_TASK_MS = 250

/** Options of one pq-bench invocation. */
export interface BenchOptions {
  /** Jobs per run (the enqueue scenario's bulk mode uses ten times as many). @defaultValue DEFAULT_JOBS per scenario */
  jobs?: number
  /** Worker process counts to sweep. @defaultValue [1] */
  workers?: readonly number[]
  /** Milliseconds each task sleeps. @defaultValue 0, or 250 in the sleep scenario */
  sleepMs?: number
  /** Jobs each worker process runs at once. @defaultValue 10 */
  concurrency?: number
  /** Which queue(s) to measure: a BackendChoice or a comma list of BACKENDS. @defaultValue 'all' */
  backend?: string
  /** Scenarios to run, in order. @defaultValue ['throughput'] */
  scenarios?: readonly ScenarioName[]
  /** Runs per backend and worker count; the report gives their median, min and max. @defaultValue 3 */
  repeat?: number
  /** Finished jobs bulk-inserted into a second pq schema, measured as a third series. @defaultValue 0 (none) */
  prefill?: number
  /** Postgres; none starts embedded Postgres. @defaultValue DATABASE_URL */
  databaseUrl?: string
  /** Redis for BullMQ. @defaultValue REDIS_URL, else redis://127.0.0.1:6379 */
  redisUrl?: string
  /** The pq schema the bench owns (emptied before every run). @defaultValue 'pq_bench' */
  schema?: string
  /** The BullMQ key prefix the bench owns (obliterated before every run). @defaultValue 'pq-bench' */
  redisPrefix?: string
  /** Print one JSON document instead of tables. @defaultValue false */
  json?: boolean
  /** Write an SVG chart of the worker sweep to this file. @defaultValue none */
  chartFile?: string
}

/** BenchOptions validated and defaulted. */
export interface ResolvedBenchOptions {
  readonly jobs: number | null
  readonly workers: readonly number[]
  readonly sleepMs: number | null
  readonly concurrency: number
  readonly backends: readonly BackendKind[]
  readonly scenarios: readonly ScenarioName[]
  readonly repeat: number
  readonly prefill: number
  readonly databaseUrl: string | null
  readonly redisUrl: string
  readonly schema: string
  readonly redisPrefix: string
  readonly json: boolean
  readonly chartFile: string | null
}

/** Bad input from the command line or a caller: one line saying what is wrong and what would be right. */
export class UsageError extends Error {
  readonly code = 'USAGE'
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

/** Validates and freezes options; throws UsageError naming the first bad value. */
export function resolveBenchOptions(input: BenchOptions): ResolvedBenchOptions {
  const workers = input.workers ?? [1]
  if (workers.length === 0) throw new UsageError('--workers needs at least one count, e.g. --workers 1,2,4')
  for (const w of workers) positiveInt('--workers', w, 64)
  const scenarios = input.scenarios ?? ['throughput']
  if (scenarios.length === 0) throw new UsageError(`--scenario needs a name: ${SCENARIOS.join(', ')} or all`)
  const schema = input.schema ?? 'pq_bench'
  if (!/^[a-z_][a-z0-9_]{0,29}$/.test(schema)) {
    throw new UsageError(`invalid schema ${JSON.stringify(schema)}: use up to 30 lower-case letters, digits or _ (e.g. pq_bench)`)
  }
  const backends = backendList(input.backend ?? 'all')
  return Object.freeze({
    jobs: input.jobs === undefined ? null : positiveInt('N', input.jobs, 10_000_000),
    workers: Object.freeze([...new Set(workers)].sort((a, b) => a - b)),
    sleepMs: input.sleepMs === undefined ? null : nonNegativeInt('--sleep', input.sleepMs, 60_000),
    concurrency: positiveInt('--concurrency', input.concurrency ?? 10, 1000),
    backends: Object.freeze(backends),
    scenarios: Object.freeze([...new Set(scenarios)]),
    repeat: positiveInt('--repeat', input.repeat ?? 3, 100),
    prefill: nonNegativeInt('--prefill', input.prefill ?? 0, 100_000_000),
    databaseUrl: input.databaseUrl || null,
    redisUrl: input.redisUrl || DEFAULT_REDIS_URL,
    schema,
    redisPrefix: input.redisPrefix ?? 'pq-bench',
    json: input.json ?? false,
    chartFile: input.chartFile || null,
  })
}

/** Jobs per run of a scenario: N when given, else the scenario's default. */
export function jobsFor(options: ResolvedBenchOptions, scenario: ScenarioName): number {
  return options.jobs ?? DEFAULT_JOBS[scenario]
}

/** The task's sleep in a scenario: --sleep when given, else 250 ms for `sleep` and 0 for the rest. */
export function sleepFor(options: ResolvedBenchOptions, scenario: ScenarioName): number {
  return options.sleepMs ?? (scenario === 'sleep' ? DEFAULT_SLOW_TASK_MS : 0)
}

/** `pq`, `pq,graphile`, `both`, `all` → the backends, in BACKENDS order. */
function backendList(raw: string): BackendKind[] {
  const picked = new Set<BackendKind>()
  for (const name of raw.split(',').map((part) => part.trim())) {
    if (name === 'all') BACKENDS.forEach((b) => picked.add(b))
    else if (name === 'both') ['pq', 'redis'].forEach((b) => picked.add(b as BackendKind))
    else if ((BACKENDS as readonly string[]).includes(name)) picked.add(name as BackendKind)
    else
      throw new UsageError(
        `unknown backend ${JSON.stringify(name)}: use ${BACKENDS.join(', ')}, a comma list of them, both (pq,redis) or all`,
      )
  }
  return BACKENDS.filter((b) => picked.has(b))
}

function positiveInt(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new UsageError(`${name} must be a whole number from 1 to ${max.toLocaleString('en-US')}, got ${String(value)}`)
  }
  return value
}

function nonNegativeInt(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new UsageError(`${name} must be a whole number from 0 to ${max.toLocaleString('en-US')}, got ${String(value)}`)
  }
  return value
}
