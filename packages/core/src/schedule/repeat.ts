import { DateTime } from 'luxon'
import { InvalidSchedule } from '../errors.js'
import { parseAt, type AtInput } from './at.js'

/** The largest count Postgres' integer column holds. */
const MAX_INT = 2 ** 31 - 1
const EXPECTED = 'use 0 (run once), N (run N more times), -1 (forever) or an end date such as 2030-01-01'

/**
 * Reads the `repeat` option against `until`: a count (0, N, -1; numeric strings are counts), or a
 * date meaning "until that date" (the earlier of it and `until` wins). Left out, it is -1 when the
 * rule repeats by nature (a cron, or an interval with an end), else 0. Refused with
 * {@link InvalidSchedule}, or InvalidDate for an unusable Date or DateTime.
 * @internal
 */
export function resolveRepeat(
  input: number | AtInput | undefined,
  until: DateTime | null,
  repeatsByDefault: boolean,
  tz: string,
  now: DateTime,
): { repeat: number; until: DateTime | null } {
  if (input === undefined) return { repeat: repeatsByDefault ? -1 : 0, until }
  const count = typeof input === 'number' ? input : typeof input === 'string' && /^\s*-?\d+\s*$/.test(input) ? Number(input) : null
  if (count !== null) {
    if (!Number.isInteger(count) || count < -1 || count > MAX_INT)
      throw new InvalidSchedule('repeat', `invalid repeat ${JSON.stringify(input)}: ${EXPECTED}, with N at most ${MAX_INT}`)
    return { repeat: count, until }
  }
  let end: DateTime
  if (typeof input === 'string') {
    try {
      end = parseAt('repeat', input, tz, now)
    } catch {
      // Neither a count nor a date: say both forms, not only the date ones parseAt knows.
      throw new InvalidSchedule('repeat', `invalid repeat ${JSON.stringify(input)}: ${EXPECTED}`)
    }
  } else if (DateTime.isDateTime(input) || input instanceof Date) {
    end = parseAt('repeat', input, tz, now)
  } else {
    throw new InvalidSchedule('repeat', `invalid repeat ${JSON.stringify(input)}: ${EXPECTED}`)
  }
  return { repeat: -1, until: until && until.toMillis() < end.toMillis() ? until : end }
}
