import { DateTime, Duration, type DurationLikeObject } from 'luxon'
import { InvalidDuration, InvalidSchedule } from '../errors.js'
import { unitFormSeconds } from '../config/duration.js'

/** What the `interval` option accepts: seconds, a numeric or unit string, a luxon Duration, a duration object or an ISO 8601 duration. */
export type IntervalInput = number | string | Duration | DurationLikeObject

/** The tail of every interval error: the forms that would have been read. */
export const INTERVAL_EXPECTED =
  'use seconds (86400), a unit form (30m, 1h, 2d), an ISO 8601 duration (PT30M, P1D, P1M) or a duration object such as { months: 1, days: -1 }'

/** The units an interval is kept in: quarters fold into months and weeks into days. */
interface IntervalParts {
  years: number
  months: number
  days: number
  hours: number
  minutes: number
  seconds: number
  milliseconds: number
}

const DAY_MS = 86_400_000
// The mean Gregorian month; only used to guess k before stepping to the exact slot.
const MEAN_MONTH_MS = 30.436875 * DAY_MS
const WHOLE_UNITS = new Set(['years', 'quarters', 'months', 'weeks', 'days'])

/**
 * Reads an `interval` option into a normalised ISO 8601 duration ('P1D', 'PT30M', 'P1M-1D'), or
 * null when it is zero long. Seconds that make whole days become days (86400 → 'P1D'), so a daily
 * rule keeps its wall-clock time across DST changes; other seconds stay exact elapsed time.
 * Negative parts are allowed only beside a year or month part (`{ months: 1, days: -1 }`).
 * Refused with {@link InvalidDuration}.
 */
export function parseInterval(input: IntervalInput): string | null {
  const parts = readParts(input)
  if (parts.years < 0 || parts.months < 0) {
    throw new InvalidDuration('interval', show(input), `years and months must not be negative; ${INTERVAL_EXPECTED}`)
  }
  const calendar = parts.years > 0 || parts.months > 0
  const small = [parts.days, parts.hours, parts.minutes, parts.seconds, parts.milliseconds]
  if (!calendar && small.some((n) => n < 0)) {
    throw new InvalidDuration(
      'interval',
      show(input),
      `must be more than zero (a negative part is allowed only after a month or year part, as in P1M-1D); ${INTERVAL_EXPECTED}`,
    )
  }
  const nonZero = Object.fromEntries(Object.entries(parts).filter(([, n]) => n !== 0))
  return Object.keys(nonZero).length === 0 ? null : Duration.fromObject(nonZero).toISO()
}

function readParts(input: IntervalInput): IntervalParts {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0)
      throw new InvalidDuration(
        'interval',
        Number.isFinite(input) ? input : String(input),
        `must be a positive number of seconds; ${INTERVAL_EXPECTED}`,
      )
    return secondsParts(input)
  }
  if (typeof input === 'string') {
    const text = input.trim()
    // 'm' is minutes, as in pq's other duration options; months need 'P1M'.
    const seconds = unitFormSeconds(text)
    if (seconds !== null) return secondsParts(seconds)
    const iso = /^-?p/i.test(text) ? Duration.fromISO(text.toUpperCase()) : null
    if (!iso?.isValid) throw new InvalidDuration('interval', input, INTERVAL_EXPECTED)
    return objectParts(input, iso.toObject())
  }
  if (Duration.isDuration(input)) {
    if (!input.isValid) throw new InvalidDuration('interval', `invalid Duration (${input.invalidReason})`, INTERVAL_EXPECTED)
    return objectParts(input.toISO(), input.toObject())
  }
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) return objectParts(input, input)
  throw new InvalidDuration('interval', show(input), INTERVAL_EXPECTED)
}

function secondsParts(seconds: number): IntervalParts {
  if (seconds > 0 && seconds % 86_400 === 0) return { ...ZERO, days: seconds / 86_400 }
  const shifted = Duration.fromObject({ seconds }).shiftTo('hours', 'minutes', 'seconds', 'milliseconds')
  return { ...ZERO, ...shifted.toObject() }
}

const ZERO: IntervalParts = { years: 0, months: 0, days: 0, hours: 0, minutes: 0, seconds: 0, milliseconds: 0 }

function objectParts(input: unknown, object: object): IntervalParts {
  for (const [unit, value] of Object.entries(object)) {
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InvalidDuration(
        'interval',
        show(input),
        `${unit} must be a finite number, not ${JSON.stringify(value)}; ${INTERVAL_EXPECTED}`,
      )
    }
    if (WHOLE_UNITS.has(unit) && !Number.isInteger(value)) {
      throw new InvalidDuration('interval', show(input), `${unit} must be a whole number, not ${value}; ${INTERVAL_EXPECTED}`)
    }
  }
  let duration: Duration
  try {
    duration = Duration.fromObject(object)
  } catch {
    // luxon throws on an unknown unit name; its message ("Invalid unit foo") lacks the forms we accept.
    throw new InvalidDuration(
      'interval',
      show(input),
      `unknown unit (known: years, quarters, months, weeks, days, hours, minutes, seconds, milliseconds); ${INTERVAL_EXPECTED}`,
    )
  }
  const o = duration.toObject()
  return {
    years: o.years ?? 0,
    months: (o.quarters ?? 0) * 3 + (o.months ?? 0),
    days: (o.weeks ?? 0) * 7 + (o.days ?? 0),
    hours: o.hours ?? 0,
    minutes: o.minutes ?? 0,
    seconds: o.seconds ?? 0,
    milliseconds: o.milliseconds ?? 0,
  }
}

function show(input: unknown): unknown {
  return Duration.isDuration(input) ? input.toISO() : input
}

/**
 * The raw slot times of an interval rule, before any window or weekday move. Slot k is computed
 * from the anchor, never from slot k-1, so nothing drifts:
 *
 * - an interval of hours, minutes and seconds only is exact elapsed time: `anchor + k × interval`;
 * - one with days (but no months or years) scales every part by k in the rule's zone, days as
 *   calendar days, so P1D keeps 09:00 local across DST changes;
 * - one with years or months scales those by k and applies them first; its smaller parts are an
 *   offset added once (for k ≥ 1) after them. So `{ months: 1, days: -1 }` anchored on Feb 1 gives
 *   Feb 1, Feb 28, Mar 31, Apr 30 (the last day of each month), and P1M anchored on Jan 31 gives
 *   Feb 28, Mar 31, Apr 30 (luxon clamps to the month's end, and the anchor brings back the 31st).
 *
 * A rule without an interval has slot 0 only.
 * @internal
 */
export class IntervalSlots {
  readonly #anchor: DateTime
  readonly #local: DateTime
  readonly #parts: IntervalParts | null
  readonly #fixedMs: number | null
  readonly #approxMs: number

  constructor(anchor: DateTime, interval: string | null, tz: string) {
    this.#anchor = anchor.toUTC()
    this.#local = anchor.setZone(tz)
    this.#parts = interval === null ? null : storedParts(interval)
    const p = this.#parts
    const timeMs = p ? p.hours * 3_600_000 + p.minutes * 60_000 + p.seconds * 1000 + p.milliseconds : 0
    const calendar = p !== null && (p.years > 0 || p.months > 0)
    this.#fixedMs = p !== null && !calendar && p.days === 0 ? timeMs : null
    this.#approxMs = p === null ? 1 : calendar ? (p.years * 12 + p.months) * MEAN_MONTH_MS : p.days * DAY_MS + timeMs
  }

  /** The raw time of slot k (UTC). */
  at(k: number): DateTime {
    const p = this.#parts
    if (k === 0) return this.#anchor
    if (p === null) throw new RangeError(`a rule without an interval has only slot 0, not slot ${k}`)
    if (this.#fixedMs !== null) return DateTime.fromMillis(this.#anchor.toMillis() + k * this.#fixedMs, { zone: 'utc' })
    const { years, months, ...small } = p
    if (years > 0 || months > 0)
      return this.#local
        .plus({ years: years * k, months: months * k })
        .plus(small)
        .toUTC()
    return this.#local
      .plus({ days: p.days * k, hours: p.hours * k, minutes: p.minutes * k, seconds: p.seconds * k, milliseconds: p.milliseconds * k })
      .toUTC()
  }

  /** The smallest k ≥ kMin whose raw time is at or after `t`; slot times rise with k. */
  firstAtOrAfter(t: DateTime, kMin: number): number {
    const target = t.toMillis()
    const anchor = this.#anchor.toMillis()
    if (this.#parts === null) return kMin === 0 && anchor >= target ? 0 : 1
    if (this.#fixedMs !== null) {
      let k = Math.max(kMin, Math.ceil((target - anchor) / this.#fixedMs))
      // ceil of a float quotient can land one off; the exact slot times settle it.
      if (k > kMin && this.at(k - 1).toMillis() >= target) k--
      if (this.at(k).toMillis() < target) k++
      return k
    }
    // Calendar lengths vary (DST, month ends), so guess from the mean length and step to the exact
    // slot: a few steps at most, since the guess is off by far less than one interval per year.
    let k = Math.max(kMin, Math.floor((target - anchor) / this.#approxMs))
    while (k > kMin && this.at(k - 1).toMillis() >= target) k--
    while (this.at(k).toMillis() < target) k++
    return k
  }
}

/** Reads an interval stored by {@link parseInterval} back into parts. */
function storedParts(interval: string): IntervalParts {
  const duration = Duration.fromISO(interval)
  if (!duration.isValid)
    throw new InvalidSchedule(
      'interval',
      `stored interval ${JSON.stringify(interval)} is not an ISO 8601 duration; resolve the rule again from its input`,
    )
  return objectParts(interval, duration.toObject())
}
