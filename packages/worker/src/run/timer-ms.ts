/**
 * A timeout in timer milliseconds. Node fires a timer longer than 2^31-1 ms (24.8 days) at once, so
 * a longer timeout is held to that: a job may run 24.8 days at most.
 */
export const timerMs = (seconds: number): number => Math.min(seconds * 1000, 2 ** 31 - 1)
