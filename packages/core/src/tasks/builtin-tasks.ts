/**
 * pq's own tasks, named 'pq.utils.<export>'. `testJob` lets a user check that workers receive work
 * at once: `pq-enqueue pq.utils.testJob` with a worker running prints the job within milliseconds.
 */

/** Returns a greeting with the time it ran; django-pq's `pq.utils.test_job`. */
export function testJob(): string {
  return `pq test job ran at ${new Date().toISOString()}`
}

/** Does nothing; the benchmark's task. */
export function noop(): null {
  return null
}

/** Sleeps `ms` milliseconds, then returns it. */
export async function sleep(ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms))
  return ms
}
