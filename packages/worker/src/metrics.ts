/**
 * A worker's latency histograms, Prometheus-style (cumulative buckets, sum, count). They live in
 * the worker's memory, `Worker.metrics()` returns them, and each heartbeat stores them in the
 * worker's row, so the dashboard's /metrics endpoint (another process) can serve them per worker.
 */

/** Upper bounds, in seconds, of the latency buckets (+Inf is implied). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800] as const

/** One histogram: `counts[i]` observations were at most `buckets[i]` seconds (cumulative). */
export interface HistogramSnapshot {
  buckets: number[]
  counts: number[]
  sum: number
  count: number
}

/** What `Worker.metrics()` returns. */
export interface WorkerMetrics {
  /** Claim latency: from a job becoming queued to this worker claiming it (both by the database clock). */
  claimWaitSeconds: HistogramSnapshot
  /** Run time of each job this worker ran. */
  runSeconds: HistogramSnapshot
  /** Jobs this worker finished, and failed (final failures and retried attempts), since it started. */
  processed: number
  failed: number
}

/** A fixed-bucket histogram. */
export class Histogram {
  readonly #counts = new Array<number>(LATENCY_BUCKETS.length).fill(0)
  #sum = 0
  #count = 0

  observe(seconds: number): void {
    if (!Number.isFinite(seconds)) return
    const v = Math.max(0, seconds)
    this.#sum += v
    this.#count++
    const i = LATENCY_BUCKETS.findIndex((b) => v <= b)
    if (i >= 0) this.#counts[i]!++
  }

  snapshot(): HistogramSnapshot {
    let running = 0
    return { buckets: [...LATENCY_BUCKETS], counts: this.#counts.map((c) => (running += c)), sum: this.#sum, count: this.#count }
  }
}
