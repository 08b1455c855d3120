import { describe, expect, it } from '@jest/globals'
import { summarize } from '../harness/stats.js'
import { drain } from '../scenarios/drain.js'
import { enqueue } from '../scenarios/enqueue.js'
import { writeCost } from '../scenarios/write-cost.js'
import type { BenchReport, ScenarioReport } from './report.js'
import { renderSvgChart } from './svg-chart.js'
import { renderReport } from './table.js'
import { checkTargets } from './targets.js'

const series = [
  { key: 'pq', label: 'pq', kind: 'pq' as const },
  { key: 'redis', label: 'Redis', kind: 'redis' as const },
]

function scenario(base: Omit<ScenarioReport, 'targets'>): ScenarioReport {
  return { ...base, targets: checkTargets(base) }
}

const drainReport = scenario({
  scenario: 'drain',
  description: drain.describe(20000, 10, 0),
  jobs: 20000,
  concurrency: 10,
  sleepMs: 0,
  repeat: 3,
  primary: drain.primary,
  metrics: drain.metrics,
  series,
  rows: [
    {
      workers: 1,
      results: { pq: { drainRate: summarize([30000, 32000, 31000]) }, redis: { drainRate: summarize([16000, 17000, 15000]) } },
    },
    {
      workers: 2,
      results: { pq: { drainRate: summarize([40000, 41000, 39000]) }, redis: { drainRate: summarize([25000, 26000, 24000]) } },
    },
  ],
})

const enqueueReport = scenario({
  scenario: 'enqueue',
  description: enqueue.describe(1000, 10, 0),
  jobs: 1000,
  concurrency: 10,
  sleepMs: 0,
  repeat: 1,
  primary: enqueue.primary,
  metrics: enqueue.metrics,
  series,
  rows: [
    {
      workers: 0,
      results: {
        pq: { singleRate: summarize([2000]), bulkRate: summarize([90000]), transactionRate: summarize([1500]) },
        redis: { singleRate: summarize([5000]), bulkRate: summarize([30000]) },
      },
    },
  ],
})

const report: BenchReport = {
  tool: 'pq-bench',
  startedAt: '2026-01-01T00:00:00.000Z',
  seconds: 12.5,
  environment: {
    node: 'v20.0.0',
    platform: 'linux x64',
    cpus: 2,
    cpuModel: 'Test CPU',
    servers: { pq: 'PostgreSQL 15', redis: 'Redis 7' },
  },
  options: {
    jobs: null,
    workers: [1, 2],
    concurrency: 10,
    sleepMs: null,
    backends: ['pq', 'redis'],
    scenarios: ['drain', 'enqueue'],
    repeat: 3,
    prefill: 0,
  },
  verifiedRuns: 14,
  scenarios: [drainReport, enqueueReport],
}

describe('the report', () => {
  it('prints a django-pq style table of medians with min–max and the pq/Redis ratio', () => {
    const text = renderReport(report)
    expect(text).toContain(
      [
        '| Workers |              pq jobs/s |           Redis jobs/s | pq/Redis |',
        '| ------: | ---------------------: | ---------------------: | -------: |',
        '|       1 | 31,000 (30,000–32,000) | 16,000 (15,000–17,000) |    1.94x |',
      ].join('\n'),
    )
  })

  it('checks the targets against the medians, never failing on them', () => {
    expect(drainReport.targets).toEqual([
      { target: 'pq drains ≥ 1.5x BullMQ with 1 worker process at concurrency 10', measured: '1.94x', met: true },
      {
        target: 'pq drains (concurrency 10) ≥ 1.1x graphile-worker',
        measured: null,
        met: null,
        note: 'needs --backend pq,graphile and 1 worker process',
      },
      {
        target: 'pq drains (concurrency 10) ≥ 0.5x the minimal SQL loop',
        measured: null,
        met: null,
        note: 'needs --backend pq,limit and 1 worker process',
      },
    ])
    expect(enqueueReport.targets[0]).toMatchObject({ measured: '90,000 jobs/s', met: false })
    expect(renderReport(report)).toContain('- target: pq bulk enqueue ≥ 100,000 jobs/s: 90,000 jobs/s, MISSED')
  })

  it('opens with one side-by-side table of every scenario, pq over each other series', () => {
    expect(renderReport(report)).toContain(
      [
        '| scenario | Redis | pq | pq / Redis |',
        '| --- | ---: | ---: | ---: |',
        '| drain 20k, concurrency 10, jobs/s | 16,000 | 31,000 | 1.94x |',
        '| bulk enqueue, chunks of 1,000, jobs/s | 30,000 | 90,000 | 3.00x |',
      ].join('\n'),
    )
  })

  it('gives the enqueue scenario a row per mode, with a dash where BullMQ has no transactions', () => {
    expect(renderReport(report)).toMatch(/\| single in a caller transaction +\| +1,500 \| +— \| +— \|/)
  })

  it('gives pq over graphile-worker and over the limit loop beside pq/Redis, and checks their targets', () => {
    const four = scenario({
      ...drainReport,
      series: [...series, { key: 'graphile', label: 'graphile-worker', kind: 'graphile' }, { key: 'limit', label: 'limit', kind: 'limit' }],
      rows: [
        {
          workers: 1,
          results: {
            pq: { drainRate: summarize([30000]) },
            redis: { drainRate: summarize([15000]) },
            graphile: { drainRate: summarize([25000]) },
            limit: { drainRate: summarize([80000]) },
          },
        },
      ],
    })
    expect(renderReport({ ...report, scenarios: [four] })).toContain(
      '| Workers | pq jobs/s | Redis jobs/s | graphile-worker jobs/s | limit jobs/s | pq/Redis | pq/graphile-worker | pq/limit |\n' +
        '| ------: | --------: | -----------: | ---------------------: | -----------: | -------: | -----------------: | -------: |\n' +
        '|       1 |    30,000 |       15,000 |                 25,000 |       80,000 |    2.00x |              1.20x |    0.38x |',
    )
    expect(four.targets.slice(1).map((t) => [t.measured, t.met])).toEqual([
      ['1.20x', true],
      ['0.38x', false],
    ])
  })

  it('breaks the write cost down by table and index', () => {
    const cost = scenario({
      scenario: 'write-cost',
      description: 'write cost',
      jobs: 100,
      concurrency: 10,
      sleepMs: 0,
      repeat: 1,
      primary: writeCost.primary,
      metrics: writeCost.metrics,
      series: [{ key: 'limit', label: 'limit', kind: 'limit' }],
      rows: [
        {
          workers: 1,
          results: {
            limit: {
              versionsPerJob: summarize([2]),
              hotPerJob: summarize([0.5]),
              deletesPerJob: summarize([1]),
              indexEntriesPerJob: summarize([1.5]),
              'table:job:versions': summarize([2]),
              'table:job:hot': summarize([0.5]),
              'table:job:deletes': summarize([1]),
              'index:job.job_pkey:entries': summarize([1.5]),
              'index:job.job_pkey:bytes': summarize([40]),
            },
          },
        },
      ],
    })
    const text = renderReport({ ...report, scenarios: [cost] })
    expect(text).toMatch(/\| limit +\| table job +\| +2\.00 \| +0\.50 \| +1\.00 \|/)
    expect(text).toMatch(/\| limit +\| {3}index job_pkey +\| +\| +\| +\| +1\.50 \| +40\.00 \|/)
  })

  it('charts the worker sweep as hand-written SVG, a line per backend', () => {
    const svg = renderSvgChart(report)
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
    expect(svg.match(/<polyline /g)).toHaveLength(2)
    expect(svg).toContain('<title>pq, 2 workers: 40,000 (39,000–41,000)</title>')
  })
})
