import { niceAxis, yGrid, type PlotArea } from '@pq/cli-kit'
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
 * An inline SVG bar chart: finished (green) stacked under failed (red) per bucket, a y axis with round
 * ticks and grid lines, and time labels every few bars. It scales to the page's width (viewBox); the
 * bucket size grows with the window. Built from numbers and dates only, so there is nothing to escape.
 */
export function throughputSvg(buckets: readonly ThroughputBucket[], bucketSeconds: number): string {
  const width = 960
  const height = 220
  const left = 56
  const right = 12
  const bottom = 34
  const top = 12
  const plotH = height - bottom - top
  const peak = Math.max(1, ...buckets.map((b) => b.finished + b.failed))
  const plot: PlotArea = { x: left, y: top, w: width - left - right, h: plotH }
  const axis = niceAxis(peak, 4, 1) // whole jobs: no step below 1
  const barStep = (width - left - right) / Math.max(1, buckets.length)
  const y = (n: number) => (n / axis.max) * plotH
  const base = height - bottom
  const bars = buckets
    .map((b, i) => {
      const x = left + i * barStep + 1
      const w = Math.max(1, barStep - 2)
      const hf = y(b.finished)
      const hx = y(b.failed)
      const title = `<title>${hhmm(b.start)} UTC: ${b.finished} finished, ${b.failed} failed in ${bucketSeconds} s</title>`
      return (
        `<g>${title}<rect x="${x.toFixed(1)}" y="${(base - hf).toFixed(1)}" width="${w.toFixed(1)}" height="${hf.toFixed(1)}" fill="#2e9d57"/>` +
        `<rect x="${x.toFixed(1)}" y="${(base - hf - hx).toFixed(1)}" width="${w.toFixed(1)}" height="${hx.toFixed(1)}" fill="#d64545"/></g>`
      )
    })
    .join('')
  const ticks = yGrid(plot, axis, (v) => v.toLocaleString('en-US'), {
    grid: '#e3e6eb',
    text: '#444',
    attrs: 'class="y-tick" font-size="12"',
  })
  const every = Math.max(1, Math.round(buckets.length / 8))
  const labels = buckets
    .map((b, i) =>
      i % every === 0
        ? `<line x1="${(left + i * barStep).toFixed(1)}" y1="${base}" x2="${(left + i * barStep).toFixed(1)}" y2="${base + 4}" stroke="#999"/>` +
          `<text class="x-tick" x="${(left + i * barStep).toFixed(1)}" y="${base + 17}" font-size="12" fill="#444">${hhmm(b.start)}</text>`
        : '',
    )
    .join('')
  const axes =
    `<line x1="${left}" y1="${base}" x2="${width - right}" y2="${base}" stroke="#999"/><line x1="${left}" y1="${top}" x2="${left}" y2="${base}" stroke="#999"/>` +
    `<text x="${left}" y="${height - 3}" font-size="11" fill="#777">UTC, one bar per ${bucketSeconds >= 60 ? `${bucketSeconds / 60} min` : `${bucketSeconds} s`}</text>` +
    `<text x="4" y="${top + 2}" font-size="11" fill="#777" transform="rotate(-90 12 ${top + plotH / 2})" dy="${plotH / 2}">jobs</text>`
  const total = buckets.reduce((a, b) => ({ finished: a.finished + b.finished, failed: a.failed + b.failed }), { finished: 0, failed: 0 })
  return (
    `<svg class="chart" role="img" aria-label="jobs ended per ${bucketSeconds} seconds: ${total.finished} finished, ${total.failed} failed" ` +
    `viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">${ticks}${axes}${bars}${labels}</svg>`
  )
}
