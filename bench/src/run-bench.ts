import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, platform, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchBackend } from './backends/backend.js'
import { GraphileBackend } from './backends/graphile.js'
import { LimitBackend } from './backends/limit.js'
import { PqBackend } from './backends/pq.js'
import { RedisBackend } from './backends/redis.js'
import type { ChildConfig } from './child/protocol.js'
import { checkExactlyOnce, describeViolation } from './harness/exactly-once.js'
import { Progress, type TextSink } from './harness/progress.js'
import { summarize } from './harness/stats.js'
import { WorkerPool } from './harness/worker-pool.js'
import { jobsFor, sleepFor, type ResolvedBenchOptions } from './options.js'
import { formatCount, formatValue } from './report/format.js'
import type { BenchReport, ScenarioReport, ScenarioRow } from './report/report.js'
import { checkTargets } from './report/targets.js'
import { SCENARIO_BY_NAME } from './scenarios/registry.js'
import type { RunContext, RunOutcome, Scenario } from './scenarios/scenario.js'

const TASKS_PATH = fileURLToPath(new URL('./tasks', import.meta.url))
const QUEUE = 'bench'

/** Where pq-bench writes, and the environment its worker processes inherit. */
export interface BenchIo {
  readonly out: TextSink
  readonly err: TextSink
  readonly env: NodeJS.ProcessEnv
}

/** A run whose jobs were lost, ran twice, failed, or that the backend does not record as done. */
export class RunInvalid extends Error {
  readonly code = 'RUN_INVALID'
  constructor(message: string) {
    super(message)
    this.name = 'RunInvalid'
  }
}

/**
 * Runs every requested scenario over the worker sweep, interleaving the series within each
 * repetition (pq, Redis, pq, Redis…) so the machine's noise falls on both alike, and checks every
 * run for lost and duplicated jobs. Throws RunInvalid on the first run that fails the check.
 */
export async function runBench(options: ResolvedBenchOptions, io: BenchIo): Promise<BenchReport> {
  const started = Date.now()
  const progress = new Progress(io.err)
  const cleanups: (() => Promise<void>)[] = []
  try {
    const workDir = await mkdtemp(join(tmpdir(), 'pq-bench-'))
    cleanups.push(() => rm(workDir, { recursive: true, force: true }))
    const backends = await openBackends(options, progress, cleanups)
    const servers: Record<string, string> = {}
    for (const b of backends) servers[b.kind] = await b.serverVersion()
    let verifiedRuns = 0
    const scenarios: ScenarioReport[] = []
    for (const name of options.scenarios) {
      const scenario = SCENARIO_BY_NAME[name]
      const jobs = jobsFor(options, name)
      const sleepMs = sleepFor(options, name)
      const concurrency = scenario.concurrency ?? options.concurrency
      const measured = backends.filter((b) => scenario.supports?.(b) ?? true)
      const results = new Map<number, Map<string, Map<string, number[]>>>()
      let runNumber = 0
      for (const workers of scenario.usesWorkers ? options.workers : [0]) {
        for (let rep = 1; rep <= options.repeat; rep++) {
          for (const backend of measured) {
            const label = runLabel(backend, scenario, workers, rep, options.repeat)
            const ctx = runContext({ backend, jobs, workers, sleepMs, concurrency, io, progress, workDir, tag: `${name}-${++runNumber}` })
            progress.begin(label)
            await backend.reset()
            const outcome = await scenario.run(ctx)
            await verify(backend, outcome, label)
            verifiedRuns++
            record(results, workers, backend.key, outcome.metrics)
            progress.end(summaryLine(scenario, outcome))
          }
        }
      }
      const report = scenarioReport(scenario, { jobs, sleepMs, concurrency, options, backends: measured, results })
      scenarios.push({ ...report, targets: checkTargets(report) })
    }
    return {
      tool: 'pq-bench',
      startedAt: new Date(started).toISOString(),
      seconds: Math.round((Date.now() - started) / 100) / 10,
      environment: {
        node: process.version,
        platform: `${platform()} ${process.arch}`,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        servers,
      },
      options: {
        jobs: options.jobs,
        workers: options.workers,
        concurrency: options.concurrency,
        sleepMs: options.sleepMs,
        backends: options.backends,
        scenarios: options.scenarios,
        repeat: options.repeat,
        prefill: options.prefill,
      },
      verifiedRuns,
      scenarios,
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {}) // closing is best effort; a failure above is the news
  }
}

/**
 * Opens Redis first (so a missing Redis is reported before Postgres is set up), then the Postgres
 * series: pq, graphile-worker and the limit loop, each in its own schema of the same database.
 */
async function openBackends(options: ResolvedBenchOptions, progress: Progress, cleanups: (() => Promise<void>)[]): Promise<BenchBackend[]> {
  let redis: RedisBackend | null = null
  if (options.backends.includes('redis')) {
    redis = await RedisBackend.open({ url: options.redisUrl, prefix: options.redisPrefix, queue: QUEUE })
    cleanups.push(() => redis!.close())
  }
  const pq: PqBackend[] = []
  const others: BenchBackend[] = []
  const needsPostgres = options.backends.some((b) => b !== 'redis')
  const databaseUrl = needsPostgres ? (options.databaseUrl ?? (await startEmbedded(progress, cleanups))) : ''
  if (options.backends.includes('pq')) {
    const open = async (schema: string, prefill: number, key: string, label: string): Promise<void> => {
      const backend = await PqBackend.open({
        databaseUrl,
        schema,
        queue: QUEUE,
        tasksPath: TASKS_PATH,
        prefill,
        key,
        label,
        onPrefillProgress: (done, total) => progress.update(done, total),
      })
      cleanups.push(() => backend.close())
      pq.push(backend)
    }
    await open(options.schema, 0, 'pq', 'pq')
    if (options.prefill > 0) {
      progress.begin(`prefilling ${options.schema}_prefilled with ${formatCount(options.prefill)} finished jobs`)
      await open(`${options.schema}_prefilled`, options.prefill, 'pq-prefilled', `pq + ${formatCount(options.prefill)} done`)
      progress.end('ready')
    }
  }
  if (options.backends.includes('graphile')) {
    const graphile = await GraphileBackend.open({ databaseUrl, schema: `${options.schema}_graphile` })
    cleanups.push(() => graphile.close())
    others.push(graphile)
  }
  if (options.backends.includes('limit')) {
    const limit = await LimitBackend.open({ databaseUrl, schema: `${options.schema}_limit` })
    cleanups.push(() => limit.close())
    others.push(limit)
  }
  const [clean, ...prefilled] = pq
  return [...(clean ? [clean] : []), ...(redis ? [redis] : []), ...others, ...prefilled]
}

async function startEmbedded(progress: Progress, cleanups: (() => Promise<void>)[]): Promise<string> {
  progress.line('DATABASE_URL is not set: starting embedded Postgres')
  const { startEmbeddedPostgres } = await import('@pq/core/testing')
  const embedded = await startEmbeddedPostgres()
  cleanups.push(() => embedded.stop())
  return embedded.url
}

function runContext(p: {
  backend: BenchBackend
  jobs: number
  workers: number
  sleepMs: number
  concurrency: number
  io: BenchIo
  progress: Progress
  workDir: string
  tag: string
}): RunContext {
  return {
    backend: p.backend,
    jobs: p.jobs,
    workers: p.workers,
    concurrency: p.concurrency,
    sleepMs: p.sleepMs,
    progress: (done, total) => p.progress.update(done, total),
    spawnWorkers: ({ reportEachJob = false } = {}) => {
      const configs: ChildConfig[] = Array.from({ length: p.workers }, (_, index) => ({
        ...p.backend.childConfig(),
        index,
        concurrency: p.concurrency,
        idsFile: join(p.workDir, `${p.backend.key}-${p.tag}-${index}.ids`),
        reportEachJob,
      }))
      return WorkerPool.spawn(configs, p.io.env)
    },
  }
}

/** The exactly-once check, then the backend's own count; any failure makes the run an error. */
async function verify(backend: BenchBackend, outcome: RunOutcome, label: string): Promise<void> {
  const expected = outcome.enqueued.length
  if (outcome.failed > 0) throw new RunInvalid(`${label}: ${outcome.failed} of ${expected} jobs failed`)
  if (outcome.executed) {
    const report = checkExactlyOnce(outcome.enqueued, outcome.executed)
    if (!report.ok) throw new RunInvalid(`${label}: ${describeViolation(report)}`)
    const finished = await backend.countFinished(outcome.enqueued)
    if (finished !== expected) {
      throw new RunInvalid(`${label}: every job ran once, but ${backend.label} records ${finished} of ${expected} as finished`)
    }
  } else {
    const distinct = new Set(outcome.enqueued).size
    const stored = await backend.countStored(outcome.enqueued)
    if (distinct !== expected || stored !== expected) {
      throw new RunInvalid(`${label}: enqueued ${expected} jobs, got ${distinct} distinct ids, and ${backend.label} stores ${stored}`)
    }
  }
}

function record(
  results: Map<number, Map<string, Map<string, number[]>>>,
  workers: number,
  key: string,
  metrics: Readonly<Record<string, number>>,
): void {
  const bySeries = results.get(workers) ?? new Map<string, Map<string, number[]>>()
  results.set(workers, bySeries)
  const byMetric = bySeries.get(key) ?? new Map<string, number[]>()
  bySeries.set(key, byMetric)
  for (const [metric, value] of Object.entries(metrics)) byMetric.set(metric, [...(byMetric.get(metric) ?? []), value])
}

function scenarioReport(
  scenario: Scenario,
  p: {
    jobs: number
    sleepMs: number
    concurrency: number
    options: ResolvedBenchOptions
    backends: readonly BenchBackend[]
    results: Map<number, Map<string, Map<string, number[]>>>
  },
): Omit<ScenarioReport, 'targets'> {
  const rows: ScenarioRow[] = [...p.results].map(([workers, bySeries]) => ({
    workers,
    results: Object.fromEntries(
      [...bySeries].map(([key, byMetric]) => [
        key,
        Object.fromEntries([...byMetric].map(([metric, values]) => [metric, summarize(values)])),
      ]),
    ),
  }))
  return {
    scenario: scenario.name,
    description: scenario.describe(p.jobs, p.concurrency, p.sleepMs),
    jobs: p.jobs,
    concurrency: p.concurrency,
    sleepMs: p.sleepMs,
    repeat: p.options.repeat,
    primary: scenario.primary,
    metrics: scenario.metrics,
    series: p.backends.map((b) => ({ key: b.key, label: b.label, kind: b.kind })),
    rows,
  }
}

function runLabel(backend: BenchBackend, scenario: Scenario, workers: number, rep: number, repeat: number): string {
  const who = scenario.usesWorkers ? `, ${workers} worker${workers === 1 ? '' : 's'}` : ''
  return `${backend.label} ${scenario.name}${who}, run ${rep}/${repeat}`
}

function summaryLine(scenario: Scenario, outcome: RunOutcome): string {
  const figures = scenario.metrics
    .filter((m) => outcome.metrics[m.key] !== undefined)
    .map((m) => `${m.label} ${formatValue(m, outcome.metrics[m.key]!)}`)
  return `${figures.join(', ')}; ${outcome.executed ? 'each job ran exactly once' : 'each job stored once'}`
}
