import { clockMs } from '../harness/clock.js'
import { rate } from '../harness/stats.js'
import { withWorkers, type RunContext, type RunOutcome, type Scenario } from './scenario.js'

/**
 * N jobs are bulk-enqueued first; then W worker processes, already connected, are released and the
 * queue drains. The rate is N over the time from the first job started to the last finished, so a
 * worker's start-up (registration, LISTEN, Lua script loading) is not counted; it is reported apart
 * as `startupMs`, from release to the first job started.
 */
async function runDrain(ctx: RunContext): Promise<RunOutcome> {
  const payloads = Array.from({ length: ctx.jobs }, () => ({ sleepMs: ctx.sleepMs }))
  const bulkStartedAt = clockMs()
  const enqueued = await ctx.backend.enqueueBulk(payloads)
  const bulkRate = rate(ctx.jobs, clockMs() - bulkStartedAt)
  const pool = await ctx.spawnWorkers()
  const { result, executed } = await withWorkers(pool, async () => {
    const releasedAt = clockMs()
    await pool.start()
    const end = await pool.waitForEnded(ctx.jobs, { onProgress: (p) => ctx.progress(p.finished, ctx.jobs) })
    const first = end.firstStartedAt ?? releasedAt
    const last = end.lastFinishedAt ?? first
    return { failed: end.failed, metrics: { drainRate: rate(ctx.jobs, last - first), startupMs: first - releasedAt, bulkRate } }
  })
  return { ...result, enqueued, executed }
}

export const drain: Scenario = {
  name: 'drain',
  describe: (jobs, concurrency, sleepMs) =>
    `${jobs.toLocaleString('en-US')} jobs bulk-enqueued, then drained by W worker processes ` +
    `(concurrency ${concurrency})${sleepMs ? `, each job sleeping ${sleepMs} ms` : ' (no-op task)'}`,
  usesWorkers: true,
  metrics: [
    { key: 'drainRate', label: 'jobs/s', unit: 'jobs/s', shown: true },
    { key: 'startupMs', label: 'start-up ms', unit: 'ms', shown: false },
    { key: 'bulkRate', label: 'bulk enqueue jobs/s', unit: 'jobs/s', shown: false },
  ],
  primary: 'drainRate',
  run: runDrain,
}

/** The drain with one job at a time per worker process: what a claim and a completion cost alone. */
export const drainSerial: Scenario = { ...drain, name: 'drain-c1', concurrency: 1 }

/** The drain of a deep backlog (100,000 jobs by default): claims planned and run against a big table. */
export const drainDeep: Scenario = { ...drain, name: 'drain-100k' }
