import { renderTable } from '@pq/cli-kit'
import type { MetricSpec } from '../scenarios/scenario.js'
import { formatRatio, formatSummary } from './format.js'
import type { BenchReport, ScenarioReport, ScenarioRow, SeriesInfo, TargetCheck } from './report.js'
import { renderSummary } from './summary.js'

/**
 * The human report: per scenario, a Markdown table like django-pq's (Workers | pq jobs/s | Redis
 * jobs/s | pq/Redis), each cell the median of the runs with (min–max), then the targets. Markdown so
 * the README can hold it as printed; padded so it also reads in a terminal.
 */
export function renderReport(report: BenchReport): string {
  const env = report.environment
  const servers = Object.values(env.servers).join('; ')
  const head =
    `pq-bench: ${env.cpus} × ${env.cpuModel}, ${env.platform}, Node ${env.node}; ${servers}\n` +
    `${report.verifiedRuns} runs, each checked: every job ran exactly once. ${report.seconds} s in all.`
  const summary = renderSummary(report)
  return [head, ...(summary ? [summary] : []), ...report.scenarios.map(renderScenario)].join('\n\n') + '\n'
}

/** One scenario's title, table and targets. */
export function renderScenario(s: ScenarioReport): string {
  const runs = s.repeat === 1 ? '1 run' : `median (min–max) of ${s.repeat} runs`
  const title = `### ${s.scenario}\n${s.description}; ${runs}.`
  const table = s.scenario === 'enqueue' ? enqueueTable(s) : sweepTable(s)
  const breakdown = s.scenario === 'write-cost' ? writeCostBreakdown(s).map(markdownTable) : []
  return [title, markdownTable(table), ...breakdown, renderTargets(s.targets)].filter(Boolean).join('\n\n')
}

interface Table {
  readonly header: readonly string[]
  readonly rows: readonly (readonly string[])[]
  /** Columns aligned left (the rest align right). */
  readonly leftColumns: number
}

/** The table in Markdown: the first `leftColumns` columns aligned left, figures right. */
function markdownTable(table: Table): string {
  const align = table.header.map((_, i) => (i < table.leftColumns ? ('left' as const) : ('right' as const)))
  return renderTable({ header: table.header, rows: table.rows, align }, 'markdown')
}

/** Rows by worker count; a column per series and shown metric, then the ratio columns. */
function sweepTable(s: ScenarioReport): Table {
  const shown = s.metrics.filter((m) => m.shown)
  const primary = s.metrics.find((m) => m.key === s.primary)!
  const ratios = ratioColumns(s.series, primary)
  const header = ['Workers', ...s.series.flatMap((series) => shown.map((m) => `${series.label} ${m.label}`)), ...ratios.map((r) => r.title)]
  const rows = s.rows.map((row) => [
    String(row.workers),
    ...s.series.flatMap((series) => shown.map((m) => cell(row, series.key, m))),
    ...ratios.map((r) => ratio(row, r.over, r.under, primary.key)),
  ])
  return { header, rows, leftColumns: 0 }
}

/** The enqueue scenario has no workers: a row per mode instead. */
function enqueueTable(s: ScenarioReport): Table {
  const row = s.rows[0]
  const ratios = ratioColumns(s.series, { label: '' })
  const header = ['Mode', ...s.series.map((series) => `${series.label} jobs/s`), ...ratios.map((r) => r.title)]
  const rows = s.metrics
    .filter((m) => m.shown)
    .map((m) => [
      m.label,
      ...s.series.map((series) => (row ? cell(row, series.key, m) : '—')),
      ...ratios.map((r) => (row ? ratio(row, r.over, r.under, m.key) : '—')),
    ])
  return { header, rows, leftColumns: 1 }
}

function ratioColumns(series: readonly SeriesInfo[], primary: Pick<MetricSpec, 'label'>): { title: string; over: string; under: string }[] {
  const has = (key: string): SeriesInfo | undefined => series.find((s) => s.key === key)
  const suffix = primary.label && primary.label !== 'jobs/s' ? ` ${primary.label.replace(/ (ms|jobs\/s)$/, '')}` : ''
  const columns: { title: string; over: string; under: string }[] = []
  for (const other of ['redis', 'graphile', 'limit']) {
    const under = has(other)
    if (has('pq') && under) columns.push({ title: `pq/${under.label}${suffix}`, over: 'pq', under: other })
  }
  const prefilled = has('pq-prefilled')
  if (prefilled && has('pq')) columns.push({ title: `${prefilled.label}/pq${suffix}`, over: 'pq-prefilled', under: 'pq' })
  return columns
}

/**
 * The write-cost scenario's breakdown, one table per worker count: a row per table (row versions, HOT,
 * deletes) and per index (entries, bytes grown), a column per series, all per job.
 */
function writeCostBreakdown(s: ScenarioReport): Table[] {
  return s.rows.map((row) => {
    const rows: string[][] = []
    for (const series of s.series) {
      const results = row.results[series.key] ?? {}
      const value = (key: string): string => {
        const summary = results[key]
        return summary ? formatSummary({ unit: 'per job' }, summary) : '—'
      }
      const tables = [
        ...new Set(
          Object.keys(results)
            .filter((k) => k.startsWith('table:'))
            .map((k) => k.split(':')[1]!),
        ),
      ].sort()
      for (const table of tables) {
        if ((results[`table:${table}:versions`]?.median ?? 0) === 0 && (results[`table:${table}:deletes`]?.median ?? 0) === 0) continue
        rows.push([
          series.label,
          `table ${table}`,
          value(`table:${table}:versions`),
          value(`table:${table}:hot`),
          value(`table:${table}:deletes`),
          '',
          '',
        ])
        const indexes = Object.keys(results)
          .filter((k) => k.startsWith(`index:${table}.`) && k.endsWith(':entries'))
          .sort()
        for (const key of indexes) {
          const name = key.slice(`index:${table}.`.length, -':entries'.length)
          rows.push([series.label, `  index ${name}`, '', '', '', value(key), value(`index:${table}.${name}:bytes`)])
        }
      }
    }
    return {
      header: ['Series', 'Table / index', 'row versions', 'of them HOT', 'deletes', 'index entries', 'index bytes'],
      rows,
      leftColumns: 2,
    }
  })
}

function cell(row: ScenarioRow, series: string, metric: MetricSpec): string {
  const summary = row.results[series]?.[metric.key]
  return summary ? formatSummary(metric, summary) : '—'
}

function ratio(row: ScenarioRow, over: string, under: string, metric: string): string {
  const a = row.results[over]?.[metric]?.median
  const b = row.results[under]?.[metric]?.median
  return a === undefined || b === undefined || b === 0 ? '—' : formatRatio(a / b)
}

/** Targets as a list under the table: met, MISSED, or not measured (and why). */
export function renderTargets(targets: readonly TargetCheck[]): string {
  if (targets.length === 0) return ''
  const lines = targets.map((t) => {
    if (t.met === null) return `- target: ${t.target}: not measured (${t.note ?? 'not in this run'})`
    const note = t.note ? ` (${t.note})` : ''
    return `- target: ${t.target}: ${t.measured}${note}, ${t.met ? 'met' : 'MISSED'}`
  })
  return lines.join('\n')
}
