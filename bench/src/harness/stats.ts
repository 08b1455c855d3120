/** Small statistics over run results: medians of repeated runs, percentiles of latency samples. */

/** Median, min and max of repeated runs of one figure, with the runs themselves. */
export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly runs: readonly number[]
}

/** Summarises the runs of one figure; `values` must not be empty. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summarize needs at least one value')
  const sorted = [...values].sort((a, b) => a - b)
  return { median: percentile(sorted, 50), min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: [...values] }
}

/**
 * The p-th percentile of ascending `sorted` values, interpolating between the two nearest ranks
 * (so the median of an even count is the mean of the middle two).
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = (p / 100) * (sorted.length - 1)
  const low = Math.floor(rank)
  const high = Math.ceil(rank)
  const a = sorted[low]!
  const b = sorted[high]!
  return a + (b - a) * (rank - low)
}

/** Jobs per second for `jobs` done in `ms` milliseconds. */
export function rate(jobs: number, ms: number): number {
  return ms > 0 ? (jobs * 1000) / ms : Number.POSITIVE_INFINITY
}
