import { escapeXml, niceAxis, yGrid, yOf, type PlotArea } from '@pq/cli-kit'
import { formatMs, formatRate } from './format.js'
import type { BenchReport, ScenarioReport } from './report.js'

const WIDTH = 760
const PANEL_HEIGHT = 340
const MARGIN = { top: 70, right: 150, bottom: 48, left: 76 }
const COLORS: Readonly<Record<string, string>> = {
  pq: '#2563eb',
  redis: '#dc2626',
  graphile: '#059669',
  limit: '#6b7280',
  'pq-prefilled': '#7c3aed',
}
const FALLBACK_COLORS = ['#059669', '#d97706', '#0891b2']

/**
 * An SVG chart of the worker sweep, hand-written: one panel per scenario that has workers, x the
 * worker processes, y the scenario's headline figure (jobs/s, or p50 ms for latency), a line per
 * series through the medians with a bar from min to max.
 */
export function renderSvgChart(report: BenchReport): string {
  const panels = report.scenarios.filter((s) => s.scenario !== 'enqueue' && s.scenario !== 'write-cost' && s.rows.length > 0)
  const height = Math.max(1, panels.length) * PANEL_HEIGHT
  const body = panels.length
    ? panels.map((s, i) => panel(s, i * PANEL_HEIGHT)).join('\n')
    : `<text x="${WIDTH / 2}" y="${PANEL_HEIGHT / 2}" text-anchor="middle">no worker sweep in this run (the enqueue scenario has no workers)</text>`
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
    `font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">\n` +
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>\n${body}\n</svg>\n`
  )
}

function panel(s: ScenarioReport, top: number): string {
  const metric = s.metrics.find((m) => m.key === s.primary)!
  const plot: PlotArea = {
    x: MARGIN.left,
    y: top + MARGIN.top,
    w: WIDTH - MARGIN.left - MARGIN.right,
    h: PANEL_HEIGHT - MARGIN.top - MARGIN.bottom,
  }
  const workers = s.rows.map((r) => r.workers)
  const summaries = s.rows.flatMap((r) => Object.values(r.results).map((byMetric) => byMetric[s.primary]))
  const axis = niceAxis(Math.max(1e-9, ...summaries.map((v) => v?.max ?? 0)), 5)
  const yMax = axis.max
  const [xMin, xMax] = [Math.min(...workers), Math.max(...workers)]
  const x = (w: number): number => (xMax === xMin ? plot.x + plot.w / 2 : plot.x + ((w - xMin) / (xMax - xMin)) * plot.w)
  const y = (v: number): number => yOf(plot, axis, v)
  const fmt = (v: number): string => (metric.unit === 'ms' ? formatMs(v) : formatRate(v))
  const tick = (v: number): string => (metric.unit === 'ms' || yMax < 10 ? fmt(v) : Math.round(v).toLocaleString('en-US'))
  const yLabel = metric.unit === 'ms' ? `${metric.label} (lower is better)` : `${metric.label} (higher is better)`
  const parts: string[] = [
    `<text x="${plot.x}" y="${top + 22}" font-size="15" font-weight="600">${escapeXml(s.scenario)}</text>`,
    ...wrap(s.description, 100, 2).map(
      (line, i) => `<text x="${plot.x}" y="${top + 40 + i * 15}" fill="#4b5563">${escapeXml(line)}</text>`,
    ),
  ]
  parts.push(yGrid(plot, axis, tick, { grid: '#e5e7eb', text: '#374151' }))
  for (const w of workers) {
    parts.push(`<text x="${x(w)}" y="${plot.y + plot.h + 18}" text-anchor="middle" fill="#374151">${w}</text>`)
  }
  parts.push(`<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${plot.y + plot.h}" y2="${plot.y + plot.h}" stroke="#6b7280"/>`)
  parts.push(`<text x="${plot.x + plot.w / 2}" y="${plot.y + plot.h + 38}" text-anchor="middle">worker processes</text>`)
  parts.push(
    `<text transform="translate(${plot.x - 58} ${plot.y + plot.h / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  )
  s.series.forEach((series, i) => {
    const color = COLORS[series.key] ?? FALLBACK_COLORS[i % FALLBACK_COLORS.length]!
    const points = s.rows.flatMap((row) => {
      const v = row.results[series.key]?.[s.primary]
      return v ? [{ w: row.workers, v }] : []
    })
    if (points.length === 0) return
    const dash = series.key === 'pq-prefilled' ? ' stroke-dasharray="6 4"' : ''
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${points.map((p) => `${x(p.w)},${y(p.v.median)}`).join(' ')}"/>`,
    )
    for (const p of points) {
      parts.push(`<line x1="${x(p.w)}" x2="${x(p.w)}" y1="${y(p.v.min)}" y2="${y(p.v.max)}" stroke="${color}" stroke-width="1.5"/>`)
      parts.push(
        `<circle cx="${x(p.w)}" cy="${y(p.v.median)}" r="3.5" fill="${color}"><title>${escapeXml(`${series.label}, ${p.w} workers: ${fmt(p.v.median)} (${fmt(p.v.min)}–${fmt(p.v.max)})`)}</title></circle>`,
      )
    }
    const ly = plot.y + 8 + i * 32
    parts.push(
      `<line x1="${plot.x + plot.w + 16}" x2="${plot.x + plot.w + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
    )
    parts.push(`<text x="${plot.x + plot.w + 46}" y="${ly + 4}">${escapeXml(series.label)}</text>`)
    // pq over this series at the first worker count, as the tables give it.
    const pqFirst = s.rows[0]?.results.pq?.[s.primary]
    const first = points[0]
    if (series.key !== 'pq' && pqFirst && first && first.v.median > 0) {
      parts.push(
        `<text x="${plot.x + plot.w + 46}" y="${ly + 16}" fill="#4b5563" font-size="10">pq/${escapeXml(series.label)} ${(pqFirst.median / first.v.median).toFixed(2)}x</text>`,
      )
    }
  })
  return `<g>\n${parts.join('\n')}\n</g>`
}

/** Splits `text` at spaces into at most `lines` lines of about `width` characters; the last may end in … */
function wrap(text: string, width: number, lines: number): string[] {
  const out: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line)
      line = word
    } else {
      line = line ? `${line} ${word}` : word
    }
  }
  if (line) out.push(line)
  if (out.length <= lines) return out
  const kept = out.slice(0, lines)
  kept[lines - 1] = `${kept[lines - 1]!.slice(0, width - 1)}…`
  return kept
}
