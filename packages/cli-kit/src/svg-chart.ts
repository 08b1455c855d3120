/**
 * The parts pq's SVG charts share, the dashboard's throughput bars and pq-bench's worker sweep:
 * a round y axis, its grid lines and labels, and text escaping. Each chart draws its own marks.
 */

/** The plot area of a chart, in SVG user units (y grows downwards, as in SVG). */
export interface PlotArea {
  readonly x: number
  readonly y: number
  readonly w: number
  readonly h: number
}

/** A y axis from 0 to a round maximum at or above the data's peak. */
export interface ValueAxis {
  readonly max: number
  /** Tick values from 0 to max, a round step apart. */
  readonly ticks: readonly number[]
}

/**
 * About `count` ticks a round step apart (1, 2 or 5 × 10^k, at least `minStep`), up to the first
 * multiple of the step at or above `peak`.
 */
export function niceAxis(peak: number, count: number, minStep = 0): ValueAxis {
  const raw = Math.max(minStep, peak / count, Number.MIN_VALUE)
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!
  const steps = Math.max(1, Math.ceil(peak / step - 1e-9))
  // Multiplying (rather than adding step after step) keeps 0.1 × 3 from drifting to 0.30000000000000004 ticks.
  const ticks = Array.from({ length: steps + 1 }, (_, i) => Number((i * step).toPrecision(12)))
  return { max: ticks[ticks.length - 1]!, ticks }
}

/** Where a value sits on the plot's y axis. */
export const yOf = (plot: PlotArea, axis: ValueAxis, v: number): number => plot.y + plot.h - (v / axis.max) * plot.h

/** The horizontal grid line and left-hand label of every tick. */
export function yGrid(
  plot: PlotArea,
  axis: ValueAxis,
  label: (v: number) => string,
  style: { grid: string; text: string; attrs?: string },
): string {
  const attrs = style.attrs ? ` ${style.attrs}` : ''
  return axis.ticks
    .map((v) => {
      const y = yOf(plot, axis, v).toFixed(1)
      return (
        `<line x1="${plot.x}" y1="${y}" x2="${plot.x + plot.w}" y2="${y}" stroke="${style.grid}"/>` +
        `<text${attrs} x="${plot.x - 6}" y="${(Number(y) + 4).toFixed(1)}" text-anchor="end" fill="${style.text}">${escapeXml(label(v))}</text>`
      )
    })
    .join('')
}

/** Text made safe for SVG (XML) content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
}
