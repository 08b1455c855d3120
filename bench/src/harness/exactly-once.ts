/**
 * The exactly-once check every run ends with: each enqueued job ran once, none was lost, none ran
 * twice, and nothing ran that this run did not enqueue. A run failing it is an error, not a figure.
 */

/** What the check found. */
export interface ExactlyOnceReport {
  readonly ok: boolean
  /** Jobs the run enqueued. */
  readonly expected: number
  /** Job runs the worker processes recorded (a duplicate counts twice). */
  readonly ran: number
  /** Enqueued jobs no worker ran. */
  readonly lost: readonly string[]
  /** Jobs that ran more than once. */
  readonly duplicated: readonly string[]
  /** Jobs that ran but were not enqueued by this run, or ids the backend handed out twice. */
  readonly unexpected: readonly string[]
}

/** Compares the ids a run enqueued with the ids its worker processes recorded running. */
export function checkExactlyOnce(enqueued: readonly string[], executed: readonly string[]): ExactlyOnceReport {
  const runs = new Map<string, number>()
  const unexpected: string[] = []
  for (const id of enqueued) {
    if (runs.has(id)) unexpected.push(id) // one id for two enqueues: the backend broke, not the bench
    runs.set(id, 0)
  }
  for (const id of executed) {
    const seen = runs.get(id)
    if (seen === undefined) unexpected.push(id)
    else runs.set(id, seen + 1)
  }
  const lost: string[] = []
  const duplicated: string[] = []
  for (const [id, count] of runs) {
    if (count === 0) lost.push(id)
    else if (count > 1) duplicated.push(id)
  }
  return {
    ok: lost.length === 0 && duplicated.length === 0 && unexpected.length === 0,
    expected: enqueued.length,
    ran: executed.length,
    lost,
    duplicated,
    unexpected,
  }
}

/** One line describing a failed check, naming a few ids of each kind. */
export function describeViolation(report: ExactlyOnceReport): string {
  const sample = (ids: readonly string[]): string => ids.slice(0, 3).join(', ') + (ids.length > 3 ? ', …' : '')
  const parts: string[] = []
  if (report.lost.length) parts.push(`${report.lost.length} lost (${sample(report.lost)})`)
  if (report.duplicated.length) parts.push(`${report.duplicated.length} ran more than once (${sample(report.duplicated)})`)
  if (report.unexpected.length) parts.push(`${report.unexpected.length} unexpected (${sample(report.unexpected)})`)
  return `${parts.join(', ')} of ${report.expected} jobs enqueued; ${report.ran} runs recorded`
}
