import { DateTime, IANAZone } from 'luxon'
import { InvalidDate, InvalidSchedule } from '../errors.js'

/** What a date option (`at`, `until`, a dated `repeat`) accepts. */
export type AtInput = DateTime | Date | string

// Only full calendar dates: luxon's fromISO also reads '09:00' as "today by the system clock", a year
// alone, week and ordinal dates; none of these is what a schedule means, and the first isn't pure.
const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}(?:$|T)/

/**
 * Checks that `tz` is an IANA time zone luxon can use ('UTC', 'Europe/London') and returns it.
 * Unknown zones are refused with {@link InvalidSchedule}.
 */
export function checkZone(tz: unknown): string {
  if (typeof tz !== 'string' || tz.trim() === '' || !IANAZone.isValidZone(tz)) {
    throw new InvalidSchedule(
      'tz',
      `unknown time zone ${JSON.stringify(tz)}: use an IANA zone such as "UTC", "Europe/London" or "America/New_York"`,
    )
  }
  return tz
}

/**
 * Reads a date option into a UTC DateTime: a luxon DateTime or a JS Date (instants as given), `'now'`
 * (the `now` passed in), or an ISO 8601 string. A date-only string means midnight in `tz`; a
 * date-time without an offset is wall-clock time in `tz`; one with an offset or `Z` is that instant.
 * One-digit hours (`2020-01-01T9:10`) and a space instead of the `T` are accepted, as django-pq
 * accepts them. Anything else is refused with {@link InvalidDate} naming `option`.
 *
 * @example parseAt('until', '2030-01-01T9:30', 'Europe/London', DateTime.utc()) // 2030-01-01T09:30Z
 */
export function parseAt(option: string, input: AtInput, tz: string, now: DateTime): DateTime {
  const zone = checkZone(tz)
  const expected = `use an ISO 8601 date or date-time such as 2030-01-01, 2030-01-01T09:30 (read in ${zone}) or 2030-01-01T09:30Z, a Date, a luxon DateTime, or "now"`
  if (DateTime.isDateTime(input)) {
    if (!input.isValid) throw new InvalidDate(option, `invalid DateTime (${input.invalidExplanation ?? input.invalidReason})`, expected)
    return input.toUTC()
  }
  if (input instanceof Date) {
    if (Number.isNaN(input.getTime())) throw new InvalidDate(option, 'Invalid Date', expected)
    return DateTime.fromJSDate(input, { zone: 'utc' })
  }
  if (typeof input !== 'string') throw new InvalidDate(option, input, expected)
  const text = input.trim()
  if (text.toLowerCase() === 'now') return now.toUTC()
  const iso = normaliseIso(text)
  if (!CALENDAR_DATE.test(iso)) throw new InvalidDate(option, input, expected)
  const parsed = DateTime.fromISO(iso, { zone })
  if (!parsed.isValid) throw new InvalidDate(option, input, expected)
  return parsed.toUTC()
}

/** Rewrites the forms people type but luxon's fromISO refuses: `2020-01-01 9:10` → `2020-01-01T09:10`. */
function normaliseIso(text: string): string {
  return text
    .replace(/^(\d{4}-\d{2}-\d{2})\s+(?=\d)/, '$1T')
    .replace(/^(\d{4}-\d{2}-\d{2}T)(\d)(?!\d)/, (_, date: string, hour: string) => `${date}0${hour}`)
}
