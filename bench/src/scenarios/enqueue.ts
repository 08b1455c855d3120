import { clockMs } from '../harness/clock.js'
import { rate } from '../harness/stats.js'
import type { RunContext, RunOutcome, Scenario } from './scenario.js'

/** The bulk mode enqueues this many times N, so it runs long enough to time. */
export const BULK_FACTOR = 10

/**
 * Enqueue alone, no workers: N jobs one call each; N × 10 in bulk calls of 1,000; and, for pq, N
 * jobs each in its own caller transaction (BEGIN; enqueue; COMMIT on the caller's connection). No job
 * runs, so the check is that the backend stores each enqueued job exactly once.
 */
async function runEnqueue(ctx: RunContext): Promise<RunOutcome> {
  const payload = { sleepMs: 0 }
  const total = ctx.jobs * (ctx.backend.enqueueEachInTransaction ? 2 + BULK_FACTOR : 1 + BULK_FACTOR)
  const enqueued: string[] = []
  let at = clockMs()
  for (let i = 0; i < ctx.jobs; i++) {
    enqueued.push(await ctx.backend.enqueueOne(payload))
    if (i % 256 === 0) ctx.progress(i, total)
  }
  const metrics: Record<string, number> = { singleRate: rate(ctx.jobs, clockMs() - at) }
  ctx.progress(enqueued.length, total)
  at = clockMs()
  const before = enqueued.length
  enqueued.push(
    ...(await ctx.backend.enqueueBulk(
      Array.from({ length: ctx.jobs * BULK_FACTOR }, () => payload),
      (done) => ctx.progress(before + done, total),
    )),
  )
  metrics.bulkRate = rate(ctx.jobs * BULK_FACTOR, clockMs() - at)
  ctx.progress(enqueued.length, total)
  if (ctx.backend.enqueueEachInTransaction) {
    at = clockMs()
    const already = enqueued.length
    enqueued.push(
      ...(await ctx.backend.enqueueEachInTransaction(
        Array.from({ length: ctx.jobs }, () => payload),
        (done) => ctx.progress(already + done, total),
      )),
    )
    metrics.transactionRate = rate(ctx.jobs, clockMs() - at)
  }
  return { enqueued, executed: null, failed: 0, metrics }
}

export const enqueue: Scenario = {
  name: 'enqueue',
  describe: (jobs) =>
    `enqueue alone: ${jobs.toLocaleString('en-US')} jobs one call each, ` +
    `${(jobs * BULK_FACTOR).toLocaleString('en-US')} in bulk calls of 1,000, and (pq) ${jobs.toLocaleString('en-US')} each in its own caller transaction`,
  usesWorkers: false,
  metrics: [
    { key: 'singleRate', label: 'single', unit: 'jobs/s', shown: true },
    { key: 'bulkRate', label: 'bulk (1,000 per call)', unit: 'jobs/s', shown: true },
    { key: 'transactionRate', label: 'single in a caller transaction', unit: 'jobs/s', shown: true },
  ],
  primary: 'bulkRate',
  run: runEnqueue,
}
