/**
 * Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one
 * machine: each process's `performance.timeOrigin` is its start on the shared wall clock, and
 * `performance.now()` is monotonic from there. The producer and the worker processes both stamp
 * with this, so enqueue-to-start latency is a difference of two stamps taken in different processes.
 */
export function clockMs(): number {
  return performance.timeOrigin + performance.now()
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
