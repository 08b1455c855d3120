import { DateTime } from 'luxon'
import type { DailyWindow } from './window.js'

/**
 * When a rule's runs may start: a daily window and a set of weekdays, both read in `tz`.
 * @internal
 */
export interface AllowedTimes {
  readonly tz: string
  /** null: any time of day. */
  readonly window: DailyWindow | null
  /** Allowed day numbers (0 = Monday); null: every day. */
  readonly weekdays: ReadonlySet<number> | null
}

/**
 * One stretch of a local day in which every raw run time moves the same way: to one fixed time
 * (`at`), or by a whole number of days keeping its wall-clock time (`shiftDays`, 0 = stays).
 * @internal
 */
export interface DaySegment {
  readonly from: DateTime
  /** Exclusive. */
  readonly to: DateTime
  readonly at: DateTime | null
  readonly shiftDays: number
}

const DAY_MINUTES = 1440

/**
 * Moves a raw run time into the allowed times: the window rule first (before the window → its
 * opening that day; after it → the opening the next day), then the weekday rule on the day that
 * gives (a disallowed day → the next allowed day, same wall-clock time). Times already allowed stay.
 *
 * It reads the move off {@link daySegments}, so the search that skips whole stretches by them can
 * never disagree with it, DST days included.
 * @internal
 */
export function adjustRun(raw: DateTime, allowed: AllowedTimes): DateTime {
  if (!allowed.window && !allowed.weekdays) return raw.toUTC()
  const local = raw.setZone(allowed.tz)
  const t = raw.toMillis()
  const segment = cachedSegments(local.startOf('day'), allowed).find((s) => s.from.toMillis() <= t && t < s.to.toMillis())
  if (!segment) throw new RangeError(`no stretch of its day holds ${raw.toISO()}`)
  if (segment.at) return segment.at
  return (segment.shiftDays === 0 ? local : local.plus({ days: segment.shiftDays })).toUTC()
}

// Slots of a short interval fall many to a day, and each would rebuild that day's stretches (a
// dozen luxon calls); keep the last few days of each rule. Dropping them all at the cap is enough:
// walks move forward through days, so a full map holds mostly days that will not come again.
const segmentCache = new WeakMap<AllowedTimes, Map<number, DaySegment[]>>()
const SEGMENT_CACHE_DAYS = 64

function cachedSegments(day: DateTime, allowed: AllowedTimes): DaySegment[] {
  let days = segmentCache.get(allowed)
  if (!days) segmentCache.set(allowed, (days = new Map<number, DaySegment[]>()))
  const key = day.toMillis()
  let segments = days.get(key)
  if (!segments) {
    if (days.size >= SEGMENT_CACHE_DAYS) days.clear()
    days.set(key, (segments = daySegments(day, allowed)))
  }
  return segments
}

/**
 * The longest move {@link adjustRun} can make, in ms, rounded up: a window moves a run by under a
 * day (plus a DST hour), weekdays by up to six days more.
 * @internal
 */
export function maxShiftMs(allowed: AllowedTimes): number {
  const days = (allowed.weekdays ? 7 : 0) + (allowed.window ? 1 : 0)
  return days === 0 ? 0 : (days + 1) * 86_400_000
}

/**
 * Splits the local day starting at `day` into the stretches of {@link DaySegment}, in time order.
 * They agree with {@link adjustRun}, which lets a search skip whole stretches instead of slots.
 * @internal
 */
export function daySegments(day: DateTime, allowed: AllowedTimes): DaySegment[] {
  const end = nextDay(day)
  const shift = daysToAllowed(day, allowed)
  const w = allowed.window
  if (!w) return [{ from: day, to: end, at: null, shiftDays: shift }]
  const open = boundary(day, w.open)
  const closeEnd = boundary(day, Math.min(w.close + 1, DAY_MINUTES))
  const openingFrom = (d: DateTime) => boundary(d.plus({ days: daysToAllowed(d, allowed) }).startOf('day'), w.open).toUTC()
  const segments: DaySegment[] =
    w.open <= w.close
      ? [
          { from: day, to: open, at: openingFrom(day), shiftDays: 0 },
          { from: open, to: closeEnd, at: null, shiftDays: shift },
          { from: closeEnd, to: end, at: openingFrom(end), shiftDays: 0 },
        ]
      : [
          { from: day, to: closeEnd, at: null, shiftDays: shift },
          { from: closeEnd, to: open, at: openingFrom(day), shiftDays: 0 },
          { from: open, to: end, at: null, shiftDays: shift },
        ]
  return segments.filter((s) => s.from.toMillis() < s.to.toMillis())
}

/** Days from `local`'s date to the next allowed weekday (0 when its own day is allowed). */
function daysToAllowed(local: DateTime, allowed: AllowedTimes): number {
  const days = allowed.weekdays
  if (!days) return 0
  const today = local.weekday - 1 // luxon counts Monday as 1
  for (let n = 0; n < 7; n++) if (days.has((today + n) % 7)) return n
  throw new RangeError('a rule with weekdays must allow at least one day')
}

/**
 * The first instant of the local day `day` whose wall-clock time is `minute` or later: where a
 * window starts or stops. Usually {@link atMinute}; but when a spring-forward gap swallows that
 * minute, luxon moves it past the gap by the gap's length (02:31 → 03:31), while the wall clock
 * already reads later than 02:31 from 03:00, the end of the gap. So find that end by halving.
 */
function boundary(day: DateTime, minute: number): DateTime {
  const candidate = atMinute(day, minute)
  if (minute >= DAY_MINUTES || wallMinute(candidate) === minute) return candidate
  let early = candidate.minus({ hours: 3 }).toMillis() // no DST gap is longer than that
  let late = candidate.toMillis()
  while (late - early > 60_000) {
    const middle = early + Math.floor((late - early) / 120_000) * 60_000
    const local = DateTime.fromMillis(middle, { zone: day.zone })
    if (local.startOf('day').toMillis() === day.toMillis() && wallMinute(local) >= minute) late = middle
    else early = middle
  }
  return DateTime.fromMillis(late, { zone: day.zone })
}

function wallMinute(local: DateTime): number {
  return local.hour * 60 + local.minute
}

/** Wall-clock minute `minute` of the local day `day` (1440: the next midnight). */
function atMinute(day: DateTime, minute: number): DateTime {
  if (minute >= DAY_MINUTES) return nextDay(day)
  return day.set({ hour: Math.floor(minute / 60), minute: minute % 60, second: 0, millisecond: 0 })
}

function nextDay(day: DateTime): DateTime {
  // startOf again: plus({ days: 1 }) keeps the wall-clock time, which a DST change may have moved.
  return day.plus({ days: 1 }).startOf('day')
}
