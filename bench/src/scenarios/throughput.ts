import { clockMs } from '../harness/clock.js'
import { rate } from '../harness/stats.js'
import { withWorkers, type RunContext, type RunOutcome, type Scenario } from './scenario.js'

/**
 * A producer enqueues N jobs one at a time, each call awaited, while W worker processes already
 * waiting consume them (django-pq's pqbenchmark). The producer's rate is N over its own time; the
 * consumers' is N over the time from the first enqueue to the last job finished, so consumers that
 * keep up match the producer and `lagMs` (last finish after the last enqueue) stays small.
 */
async function runThroughput(ctx: RunContext): Promise<RunOutcome> {
  const pool = await ctx.spawnWorkers()
  const { result, executed } = await withWorkers(pool, async () => {
    await pool.start()
    const payload = { sleepMs: ctx.sleepMs }
    const enqueued: string[] = []
    const startedAt = clockMs()
    for (let i = 0; i < ctx.jobs; i++) {
      enqueued.push(await ctx.backend.enqueueOne(payload))
      if (i % 256 === 0) ctx.progress(pool.progress.finished, ctx.jobs)
    }
    const producedAt = clockMs()
    const end = await pool.waitForEnded(ctx.jobs, { onProgress: (p) => ctx.progress(p.finished, ctx.jobs) })
    const lastAt = end.lastFinishedAt ?? producedAt
    const metrics = {
      producerRate: rate(ctx.jobs, producedAt - startedAt),
      consumerRate: rate(ctx.jobs, lastAt - startedAt),
      lagMs: Math.max(0, lastAt - producedAt),
    }
    return { enqueued, failed: end.failed, metrics }
  })
  return { ...result, executed }
}

export const throughput: Scenario = {
  name: 'throughput',
  describe: (jobs, concurrency, sleepMs) =>
    `${jobs.toLocaleString('en-US')} jobs enqueued one at a time while W worker processes ` +
    `(concurrency ${concurrency}) consume them${sleepMs ? `, each sleeping ${sleepMs} ms` : ' (no-op task)'}`,
  usesWorkers: true,
  metrics: [
    { key: 'producerRate', label: 'producer jobs/s', unit: 'jobs/s', shown: true },
    { key: 'consumerRate', label: 'consumer jobs/s', unit: 'jobs/s', shown: true },
    { key: 'lagMs', label: 'lag ms', unit: 'ms', shown: false },
  ],
  primary: 'consumerRate',
  run: runThroughput,
}

/** The slow-task case: throughput with a task that sleeps (250 ms unless --sleep says otherwise). */
export const sleep: Scenario = { ...throughput, name: 'sleep' }
