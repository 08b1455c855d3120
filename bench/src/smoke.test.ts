import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from '@jest/globals'
import { useTestDatabase } from '@pq/core/testing'
import { Queue } from 'bullmq'
import { probeRedis } from './backends/redis.js'
import { DEFAULT_REDIS_URL, resolveBenchOptions, SCENARIOS } from './options.js'
import type { BenchReport } from './report/report.js'
import { runBench } from './run-bench.js'

// The benchmark's smoke test: a hundred jobs per run, one worker process, every scenario on every
// backend, so the bench cannot rot (a run's cost is mostly its start-up; more jobs proved nothing more). It asserts that every run passed the exactly-once check and measured
// something; it asserts no speed (that is the benchmark's job, on a quiet machine).

const db = useTestDatabase()
const redisUrl = process.env.REDIS_URL ?? DEFAULT_REDIS_URL
const redisUp = await probeRedis(redisUrl).then(
  () => true,
  () => false,
)
// CI has Redis: there, a missing Redis is a failure, not a skip. graphile-worker and the limit loop
// need only Postgres, so they always run.
const backend = redisUp || process.env.CI ? 'all' : 'pq,graphile,limit'
const redisPrefix = `pq-bench-test-${randomBytes(4).toString('hex')}`

afterAll(async () => {
  if (backend !== 'all') return
  const queue = new Queue('bench', { connection: { url: redisUrl }, prefix: redisPrefix })
  await queue.obliterate({ force: true })
  await queue.close()
})

function sink(): { write(text: string): void; text: string } {
  return {
    text: '',
    write(text) {
      this.text += text
    },
  }
}

describe('pq-bench', () => {
  if (backend !== 'all') it.todo(`measures BullMQ too (Redis is not running at ${redisUrl})`)

  it('runs every scenario on each backend with every job run exactly once', async () => {
    const options = resolveBenchOptions({
      jobs: 100,
      workers: [1],
      repeat: 1,
      concurrency: 10,
      sleepMs: 2,
      backend,
      scenarios: [...SCENARIOS],
      databaseUrl: db.url,
      redisUrl,
      redisPrefix,
    })
    const err = sink()
    const report: BenchReport = await runBench(options, { out: sink(), err, env: process.env })

    const all = backend === 'all' ? ['pq', 'redis', 'graphile', 'limit'] : ['pq', 'graphile', 'limit']
    const postgres = all.filter((key) => key !== 'redis')
    expect(report.scenarios.map((s) => s.scenario)).toEqual([...SCENARIOS])
    expect(report.verifiedRuns).toBe((SCENARIOS.length - 1) * all.length + postgres.length)
    for (const scenario of report.scenarios) {
      const series = scenario.scenario === 'write-cost' ? postgres : all
      expect(scenario.series.map((s) => s.key)).toEqual(series)
      if (scenario.scenario === 'write-cost') continue // counts, some of them 0: checked below
      for (const row of scenario.rows) {
        for (const key of series) {
          for (const metric of scenario.metrics) {
            if (metric.key === 'transactionRate' && key !== 'pq') continue
            if (metric.key === 'lagMs' || metric.key === 'startupMs') continue // may be 0
            const median = row.results[key]?.[metric.key]?.median
            expect({
              scenario: scenario.scenario,
              key,
              metric: metric.key,
              median,
              positive: typeof median === 'number' && median > 0,
            }).toEqual({
              scenario: scenario.scenario,
              key,
              metric: metric.key,
              median: expect.any(Number),
              positive: true,
            })
          }
        }
      }
    }
    expect(err.text).toContain('each job ran exactly once')

    // Write cost: the limit loop writes exactly an insert and a claim per job, deletes each once, and
    // its one index (the key) gets an entry for the insert and for each claim that was not HOT.
    const cost = report.scenarios.find((s) => s.scenario === 'write-cost')!.rows[0]!.results
    const per = (key: string, metric: string): number | undefined => cost[key]?.[metric]?.median
    expect(per('limit', 'versionsPerJob')).toBe(2)
    expect(per('limit', 'deletesPerJob')).toBe(1)
    expect(per('limit', 'indexEntriesPerJob')! + per('limit', 'hotPerJob')!).toBeCloseTo(2, 6)
    expect(per('limit', 'index:job.job_pkey:entries')).toBe(per('limit', 'indexEntriesPerJob'))
    // pq: at least an insert, a claim and a finish per job, none HOT (each changes the indexed status),
    // so every version lands in the primary key.
    expect(per('pq', 'table:job:versions')).toBeGreaterThanOrEqual(3)
    expect(per('pq', 'table:job:hot')).toBe(0)
    expect(per('pq', 'index:job.job_pkey:entries')).toBe(per('pq', 'table:job:versions'))
    // graphile-worker: every claim and completion changes an indexed column too, so no version is HOT.
    expect(per('graphile', 'hotPerJob')).toBe(0)
    expect(per('graphile', 'indexEntriesPerJob')).toBeGreaterThanOrEqual(per('graphile', 'versionsPerJob')!)
  }, 420_000)
})
