import { describe, expect, it } from '@jest/globals'
import { escapeXml, niceAxis, yGrid } from './svg-chart.js'

describe('niceAxis', () => {
  it.each([
    [7, 4, 0, 8, [0, 2, 4, 6, 8]],
    [40_000, 5, 0, 40_000, [0, 10_000, 20_000, 30_000, 40_000]],
    [0.27, 5, 0, 0.3, [0, 0.1, 0.2, 0.3]],
    [1, 4, 1, 1, [0, 1]],
  ])('gives peak %d in about %d ticks (step at least %d) a round top of %d', (peak, count, minStep, max, ticks) => {
    expect(niceAxis(peak, count, minStep)).toEqual({ max, ticks })
  })
})

describe('yGrid', () => {
  it('draws a grid line and a label per tick, bottom (0) to top (max)', () => {
    const svg = yGrid({ x: 50, y: 10, w: 100, h: 100 }, niceAxis(2, 2, 1), (v) => `${v} <jobs>`, { grid: '#eee', text: '#444' })
    expect(svg.match(/<line /g)).toHaveLength(3)
    expect(svg).toContain('<line x1="50" y1="110.0" x2="150" y2="110.0" stroke="#eee"/>')
    expect(svg).toContain('y="14.0" text-anchor="end" fill="#444">2 &lt;jobs&gt;</text>')
  })
})

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;')
  })
})
