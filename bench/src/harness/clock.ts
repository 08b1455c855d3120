/**
 * Milliseconds on the machine's monotonic clock, with sub-microsecond resolution, comparable across
 * processes on one machine: `process.hrtime` reads CLOCK_MONOTONIC (Linux; the equivalent system-wide
 * counter on macOS and Windows), which every process shares and which a wall-clock step or NTP slew
 * does not move. The producer and the worker processes both stamp with this, so enqueue-to-start
 * latency is a difference of two stamps taken in different processes.
 *
 * Not `performance.timeOrigin + performance.now()`: timeOrigin is the wall clock read once when a
 * process starts, so a process started before a clock step and one started after disagree by the
 * step (a latency sample in CI came out at -1.3 ms that way).
 */
export function clockMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
