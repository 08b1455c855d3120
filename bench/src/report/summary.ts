import { formatRatio, formatValue } from './format.js'
import type { BenchReport, ScenarioReport } from './report.js'

/** The headline figure of each scenario, in the order of issue 14's table. */
const LINES: readonly { scenario: string; metric: string; title: (s: ScenarioReport) => string }[] = [
  { scenario: 'drain', metric: 'drainRate', title: (s) => `drain ${count(s.jobs)}, concurrency ${s.concurrency}, jobs/s` },
  { scenario: 'drain-c1', metric: 'drainRate', title: (s) => `drain ${count(s.jobs)}, concurrency ${s.concurrency}, jobs/s` },
  { scenario: 'drain-100k', metric: 'drainRate', title: (s) => `drain ${count(s.jobs)}, concurrency ${s.concurrency}, jobs/s` },
  { scenario: 'enqueue', metric: 'bulkRate', title: () => 'bulk enqueue, chunks of 1,000, jobs/s' },
  { scenario: 'enqueue', metric: 'singleRate', title: () => 'enqueue one job per call, no consumers, jobs/s' },
  { scenario: 'throughput', metric: 'consumerRate', title: () => 'one producer, one job per call, consumers running, jobs/s' },
  { scenario: 'latency', metric: 'p50Ms', title: () => 'idle wake-up, enqueue to start, p50 ms' },
  { scenario: 'latency', metric: 'p99Ms', title: () => 'idle wake-up, enqueue to start, p99 ms' },
  { scenario: 'write-cost', metric: 'versionsPerJob', title: () => 'row versions written per job' },
  { scenario: 'write-cost', metric: 'indexEntriesPerJob', title: () => 'index entries written per job' },
]

const ORDER = ['limit', 'graphile', 'redis', 'pq']

/**
 * One table of every scenario's headline figure (one worker process), a column per series and pq over
 * each of the others, all from this invocation's interleaved runs; null when fewer than two scenarios
 * ran. For ms and per-job counts lower is better, so there a ratio above 1 means pq is behind.
 */
export function renderSummary(report: BenchReport): string | null {
  if (report.scenarios.length < 2) return null
  const keys = new Map<string, string>()
  for (const s of report.scenarios) for (const series of s.series) if (ORDER.includes(series.key)) keys.set(series.key, series.label)
  const columns = ORDER.filter((k) => keys.has(k))
  const peers = columns.filter((k) => k !== 'pq')
  const header = ['scenario', ...columns.map((k) => keys.get(k)!), ...(keys.has('pq') ? peers.map((k) => `pq / ${keys.get(k)!}`) : [])]
  const rows: string[][] = []
  for (const line of LINES) {
    const s = report.scenarios.find((x) => x.scenario === line.scenario)
    const spec = s?.metrics.find((m) => m.key === line.metric)
    const row = s?.rows.find((r) => r.workers <= 1) ?? s?.rows[0]
    if (!s || !spec || !row) continue
    const median = (key: string): number | undefined => row.results[key]?.[line.metric]?.median
    rows.push([
      line.title(s),
      ...columns.map((k) => {
        const v = median(k)
        return v === undefined ? '—' : formatValue(spec, v)
      }),
      ...(keys.has('pq')
        ? peers.map((k) => {
            const a = median('pq')
            const b = median(k)
            return a === undefined || !b ? '—' : formatRatio(a / b)
          })
        : []),
    ])
  }
  if (rows.length === 0) return null
  const rule = header.map((_, i) => (i === 0 ? '---' : '---:'))
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  return [
    `### side by side`,
    `Headline figures, 1 worker process, medians; for ms and per-job counts lower is better.`,
    '',
    line(header),
    line(rule),
    ...rows.map(line),
  ].join('\n')
}

function count(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : n.toLocaleString('en-US')
}
