import type { StatsThroughputRow } from '@pq/core/internal'

/** One bar of the throughput chart. */
export interface ThroughputBucket {
  start: Date
  finished: number
  failed: number
}

/** Fills the buckets the query left out (nothing ended then) so the chart's x axis is time. */
export function fillBuckets(rows: readonly StatsThroughputRow[], now: Date, minutes: number, bucketSeconds: number): ThroughputBucket[] {
  const size = bucketSeconds * 1000
  const epoch = Date.UTC(2000, 0, 1) // the origin statsThroughput bins from
  const last = epoch + Math.floor((now.getTime() - epoch) / size) * size
  const count = Math.ceil((minutes * 60) / bucketSeconds)
  const byStart = new Map(rows.map((r) => [new Date(r.bucket).getTime(), r]))
  return Array.from({ length: count }, (_, i) => {
    const start = last - (count - 1 - i) * size
    const row = byStart.get(start)
    return { start: new Date(start), finished: row?.finished ?? 0, failed: row?.failed ?? 0 }
  })
}

const hhmm = (d: Date) => d.toISOString().slice(11, 16)

/**
 * An inline SVG bar chart: finished (green) stacked under failed (red) per bucket. Built from numbers
 * and dates only, so there is nothing to escape.
 */
export function throughputSvg(buckets: readonly ThroughputBucket[], bucketSeconds: number): string {
  const width = 720
  const height = 160
  const left = 44
  const bottom = 20
  const plotH = height - bottom - 10
  const max = Math.max(1, ...buckets.map((b) => b.finished + b.failed))
  const step = (width - left - 10) / Math.max(1, buckets.length)
  const y = (n: number) => (n / max) * plotH
  const bars = buckets.map((b, i) => {
    const x = left + i * step + 1
    const w = Math.max(1, step - 2)
    const hf = y(b.finished)
    const hx = y(b.failed)
    const base = height - bottom
    const title = `<title>${hhmm(b.start)} UTC: ${b.finished} finished, ${b.failed} failed in ${bucketSeconds} s</title>`
    return `<g>${title}<rect x="${x.toFixed(1)}" y="${(base - hf).toFixed(1)}" width="${w.toFixed(1)}" height="${hf.toFixed(1)}" fill="#2e9d57"/>`
      + `<rect x="${x.toFixed(1)}" y="${(base - hf - hx).toFixed(1)}" width="${w.toFixed(1)}" height="${hx.toFixed(1)}" fill="#d64545"/></g>`
  }).join('')
  const labels = buckets.map((b, i) => (i % Math.max(1, Math.round(buckets.length / 6)) === 0
    ? `<text x="${(left + i * step).toFixed(1)}" y="${height - 5}" font-size="10" fill="#555">${hhmm(b.start)}</text>` : '')).join('')
  const axis = `<line x1="${left}" y1="${height - bottom}" x2="${width - 10}" y2="${height - bottom}" stroke="#999"/>`
    + `<text x="4" y="16" font-size="10" fill="#555">${max}</text><text x="4" y="${height - bottom}" font-size="10" fill="#555">0</text>`
  const total = buckets.reduce((a, b) => ({ finished: a.finished + b.finished, failed: a.failed + b.failed }), { finished: 0, failed: 0 })
  return `<svg class="chart" role="img" aria-label="jobs ended per ${bucketSeconds} seconds: ${total.finished} finished, ${total.failed} failed" `
    + `viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${axis}${bars}${labels}</svg>`
}
