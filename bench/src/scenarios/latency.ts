import { clockMs, delay } from '../harness/clock.js'
import { percentile } from '../harness/stats.js'
import { withWorkers, type RunContext, type RunOutcome, type Scenario } from './scenario.js'

/** Pause after each job ends, so the next one meets workers idle and waiting. */
const IDLE_MS = 5

/** Jobs at the start of a run left out of the percentiles: both sides' JIT and connections warm up. */
export function warmupJobs(jobs: number): number {
  return Math.min(20, Math.floor(jobs / 10))
}

/**
 * One job at a time into idle workers: the producer stamps the clock, enqueues, and waits for the job
 * to end (and IDLE_MS more) before the next. The worker process stamps the task's start with the same
 * machine-wide monotonic clock (clockMs), so a sample is start minus enqueue call: the enqueue's
 * round trip, the wake-up, the claim and the dispatch to the task.
 */
async function runLatency(ctx: RunContext): Promise<RunOutcome> {
  const pool = await ctx.spawnWorkers({ reportEachJob: true })
  const enqueuedAt: number[] = []
  const latencies: number[] = []
  const enqueueCalls: number[] = []
  pool.onJob = (event, seq, at) => {
    const sent = seq === null ? undefined : enqueuedAt[seq]
    if (event === 'started' && seq !== null && sent !== undefined) latencies[seq] = at - sent
  }
  const { result, executed } = await withWorkers(pool, async () => {
    await pool.start()
    await delay(50) // let every worker settle into waiting
    const enqueued: string[] = []
    for (let seq = 0; seq < ctx.jobs; seq++) {
      const sentAt = clockMs()
      enqueuedAt[seq] = sentAt
      enqueued.push(await ctx.backend.enqueueOne({ sleepMs: ctx.sleepMs, seq }))
      enqueueCalls[seq] = clockMs() - sentAt
      await pool.waitForEnded(seq + 1)
      ctx.progress(seq + 1, ctx.jobs)
      await delay(IDLE_MS)
    }
    return { enqueued, failed: pool.progress.failed }
  })
  const samples = latencies
    .slice(warmupJobs(ctx.jobs))
    .filter((v) => v !== undefined)
    .sort((a, b) => a - b)
  const calls = enqueueCalls.slice(warmupJobs(ctx.jobs)).sort((a, b) => a - b)
  if (samples.length === 0) throw new Error('latency run recorded no job starts')
  const metrics = {
    p50Ms: percentile(samples, 50),
    p95Ms: percentile(samples, 95),
    p99Ms: percentile(samples, 99),
    maxMs: samples[samples.length - 1]!,
    meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
    enqueueCallP50Ms: percentile(calls, 50),
  }
  return { ...result, executed, metrics }
}

export const latency: Scenario = {
  name: 'latency',
  describe: (jobs, concurrency) =>
    `${jobs.toLocaleString('en-US')} jobs, one at a time, into W idle worker processes ` +
    `(concurrency ${concurrency}); enqueue call to task start, first ${warmupJobs(jobs)} left out as warm-up`,
  usesWorkers: true,
  metrics: [
    { key: 'p50Ms', label: 'p50 ms', unit: 'ms', shown: true },
    { key: 'p95Ms', label: 'p95 ms', unit: 'ms', shown: true },
    { key: 'p99Ms', label: 'p99 ms', unit: 'ms', shown: true },
    { key: 'maxMs', label: 'max ms', unit: 'ms', shown: false },
    { key: 'meanMs', label: 'mean ms', unit: 'ms', shown: false },
    // How much of a sample is the enqueue call itself (its round trip and commit); the rest is the
    // wake-up, the claim and the dispatch.
    { key: 'enqueueCallP50Ms', label: 'enqueue call p50 ms', unit: 'ms', shown: false },
  ],
  primary: 'p50Ms',
  run: runLatency,
}
