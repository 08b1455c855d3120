import type { Summary } from '../harness/stats.js'
import type { MetricSpec } from '../scenarios/scenario.js'

/** A rate for people: 12,345 jobs/s; below 100, one decimal (the slow-task case runs at 38.5). */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return '∞'
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1)
}

/** Milliseconds for people: 1.84, 12.3, 1,250. */
export function formatMs(value: number): string {
  if (value < 10) return value.toFixed(2)
  if (value < 100) return value.toFixed(1)
  return Math.round(value).toLocaleString('en-US')
}

/** A count per job: 2.00, 10.00; bytes per job above 100 rounded: 1,234. */
export function formatPerJob(value: number): string {
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2)
}

/** A value of `spec`'s unit. */
export function formatValue(spec: Pick<MetricSpec, 'unit'>, value: number): string {
  if (spec.unit === 'per job') return formatPerJob(value)
  return spec.unit === 'ms' ? formatMs(value) : formatRate(value)
}

/** A table cell: the median, and (min–max) when there was more than one run. */
export function formatSummary(spec: Pick<MetricSpec, 'unit'>, summary: Summary): string {
  const median = formatValue(spec, summary.median)
  if (summary.runs.length < 2) return median
  return `${median} (${formatValue(spec, summary.min)}–${formatValue(spec, summary.max)})`
}

/** A ratio: 1.62x. */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : '—'
}

/** A count in words for labels: 1M, 250k, 1,500. */
export function formatCount(value: number): string {
  if (value >= 1_000_000 && value % 100_000 === 0) return `${value / 1_000_000}M`
  if (value >= 10_000 && value % 1000 === 0) return `${value / 1000}k`
  return value.toLocaleString('en-US')
}
