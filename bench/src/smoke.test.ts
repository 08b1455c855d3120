import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from '@jest/globals'
import { useTestDatabase } from '@pq/core/testing'
import { Queue } from 'bullmq'
import { probeRedis } from './backends/redis.js'
import { DEFAULT_REDIS_URL, resolveBenchOptions, SCENARIOS } from './options.js'
import type { BenchReport } from './report/report.js'
import { runBench } from './run-bench.js'

// The benchmark's smoke test: a few hundred jobs per backend, one worker process, every scenario, so
// the bench cannot rot. It asserts that every run passed the exactly-once check and measured
// something; it asserts no speed (that is the benchmark's job, on a quiet machine).

const db = useTestDatabase()
const redisUrl = process.env.REDIS_URL ?? DEFAULT_REDIS_URL
const redisUp = await probeRedis(redisUrl).then(() => true, () => false)
// CI has Redis: there, a missing Redis is a failure, not a skip.
const backend = redisUp || process.env.CI ? 'both' : 'pq'
const redisPrefix = `pq-bench-test-${randomBytes(4).toString('hex')}`

afterAll(async () => {
  if (backend !== 'both') return
  const queue = new Queue('bench', { connection: { url: redisUrl }, prefix: redisPrefix })
  await queue.obliterate({ force: true })
  await queue.close()
})

function sink(): { write(text: string): void; text: string } {
  return { text: '', write(text) { this.text += text } }
}

describe('pq-bench', () => {
  if (backend === 'pq') it.todo(`measures BullMQ too (Redis is not running at ${redisUrl})`)

  it('runs every scenario on each backend with every job run exactly once', async () => {
    const options = resolveBenchOptions({
      jobs: 200, workers: [1], repeat: 1, concurrency: 10, sleepMs: 2, backend, scenarios: [...SCENARIOS],
      databaseUrl: db.url, redisUrl, redisPrefix,
    })
    const err = sink()
    const report: BenchReport = await runBench(options, { out: sink(), err, env: process.env })

    const series = backend === 'both' ? ['pq', 'redis'] : ['pq']
    expect(report.scenarios.map((s) => s.scenario)).toEqual([...SCENARIOS])
    expect(report.verifiedRuns).toBe(SCENARIOS.length * series.length)
    for (const scenario of report.scenarios) {
      expect(scenario.series.map((s) => s.key)).toEqual(series)
      for (const row of scenario.rows) {
        for (const key of series) {
          for (const metric of scenario.metrics) {
            if (metric.key === 'transactionRate' && key === 'redis') continue
            if (metric.key === 'lagMs' || metric.key === 'startupMs') continue // may be 0
            expect({ scenario: scenario.scenario, key, metric: metric.key, median: row.results[key]?.[metric.key]?.median })
              .toEqual({ scenario: scenario.scenario, key, metric: metric.key, median: expect.any(Number) })
            expect(row.results[key]![metric.key]!.median).toBeGreaterThan(0)
          }
        }
      }
    }
    expect(err.text).toContain('each job ran exactly once')
  }, 180_000)
})
