import { describe, expect, it } from '@jest/globals'
import { percentile, rate, summarize } from './stats.js'

describe('stats', () => {
  it('interpolates percentiles between ranks', () => {
    const sorted = [1, 2, 3, 4]
    expect(percentile(sorted, 50)).toBe(2.5)
    expect(percentile(sorted, 0)).toBe(1)
    expect(percentile(sorted, 100)).toBe(4)
    expect(percentile([5], 99)).toBe(5)
  })

  it('summarises runs as median, min and max, keeping the runs in order', () => {
    expect(summarize([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, runs: [30, 10, 20] })
  })

  it('turns jobs and milliseconds into jobs per second', () => {
    expect(rate(500, 250)).toBe(2000)
  })
})
