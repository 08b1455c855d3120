/**
 * The pure rules of a pq schedule: when its runs fall, no database involved.
 *
 * A rule has an anchor (`at`) and numbered slots: slot 0 runs at the anchor, slot k at
 * `anchor + k × interval` (see {@link IntervalSlots} for how calendar intervals multiply) or at the
 * k-th cron time at or after the anchor. A daily window (`between`) and `weekdays` then move each
 * slot's time forward into the allowed times, all read in the rule's zone `tz`. `repeat` (extra
 * runs) and `until` end the rule.
 *
 * `repeat: N` means 1 + N runs that happen. When runs fire late (no worker was up), the slots missed
 * collapse into one catch-up run, not a burst, and later runs stay on the anchor's grid; a slot
 * that never ran is not counted, so a rule with `repeat: 9` runs ten times however long it was down
 * (`until` alone can end it sooner).
 */
import { DateTime, type Duration, type DurationLikeObject } from 'luxon'
import { InvalidDuration, InvalidSchedule } from '../errors.js'
import { adjustRun, type AllowedTimes } from './allowed-times.js'
import { checkZone, parseAt, type AtInput } from './at.js'
import { CronSlots, parseCron } from './cron.js'
import { IntervalSlots, INTERVAL_EXPECTED, parseInterval } from './interval.js'
import { resolveRepeat } from './repeat.js'
import { cronSlotAfter, firstSlotAfter, lastSlot, type ScheduleSlot, type SlotBounds } from './slot-search.js'
import { weekdayNames, parseWeekdays } from './weekdays.js'
import { parseBetween, windowOf } from './window.js'

export type { ScheduleSlot } from './slot-search.js'
export { parseAt, type AtInput } from './at.js'

/** A schedule rule as callers write it; {@link resolveScheduleRule} checks and normalises it. */
export interface ScheduleRuleInput {
  /** The first run: a DateTime, a Date, an ISO 8601 string (wall-clock in `tz` without an offset) or 'now'. */
  at: AtInput
  /**
   * 0 runs once, N runs 1 + N times, -1 forever; a date means "until that date".
   * @defaultValue -1 with a cron, or with an interval and `until`; otherwise 0
   */
  repeat?: number | AtInput
  /**
   * Time between runs: seconds, '30m', an ISO 8601 duration ('P1M'), a Duration or `{ months: 1, days: -1 }`.
   * Run k is `at + k × interval`, counted from `at`: years and months scale with k and apply first;
   * beside them, smaller parts are an offset applied once, so `{ months: 1, days: -1 }` from Feb 1 runs
   * on the last day of each month. Without years or months every part scales with k; days are calendar
   * days in `tz` (86400 seconds reads as one day), hours and smaller are elapsed time.
   */
  interval?: number | string | Duration | DurationLikeObject
  /** No run after this date. @defaultValue no end */
  until?: AtInput
  /** A daily window in `tz` ('2:00/18:30', '22:00-02:00'). @defaultValue any time of day */
  between?: string
  /** Allowed days: 0 (Monday) to 6 (Sunday) or 'MO'…'SU'. @defaultValue every day */
  weekdays?: ReadonlyArray<number | string>
  /** A 5-field cron expression, or 6 with seconds first; instead of an interval. */
  cron?: string
  /** The IANA zone the window, weekdays, cron and offset-less dates are read in. @defaultValue 'UTC' */
  tz?: string
}

/** A checked schedule rule, as pq stores it. */
export interface ScheduleRule {
  /** Slot 0's raw time, UTC. */
  readonly anchor: DateTime
  /** Extra runs after slot 0; -1 when no count ends the rule. */
  readonly repeat: number
  readonly until: DateTime | null
  /** An ISO 8601 duration ('P1D', 'P1M-1D'). */
  readonly interval: string | null
  /** Normalised 'HH:MM/HH:MM'. */
  readonly between: string | null
  /** Sorted day numbers, 0 = Monday. */
  readonly weekdays: number[] | null
  readonly cron: string | null
  readonly tz: string
}

/**
 * Checks and normalises a schedule rule, with `now` standing for 'now'. Every bad value is refused
 * with a one-line typed error naming it: {@link InvalidDate} for dates, {@link InvalidDuration} for
 * the interval, {@link InvalidSchedule} for the rest and for options that do not go together (an
 * interval with a cron, a window or weekdays with a cron, a repeat with neither, an until before at).
 *
 * @example resolveScheduleRule({ at: '2030-01-01T9:00', interval: 'P1D', repeat: -1, between: '2:00/18:30', tz: 'Europe/London' }, DateTime.utc())
 */
export function resolveScheduleRule(input: ScheduleRuleInput, now: DateTime): ScheduleRule {
  const tz = checkZone(input.tz ?? 'UTC')
  const anchor = parseAt('at', input.at, tz, now)
  const cron = input.cron === undefined ? null : parseCron(input.cron, tz)
  const interval = input.interval === undefined ? null : parseInterval(input.interval)
  const between = input.between === undefined ? null : parseBetween(input.between)
  const weekdays = input.weekdays === undefined ? null : parseWeekdays(input.weekdays)
  if (cron !== null && input.interval !== undefined) {
    throw new InvalidSchedule(
      'interval',
      `interval ${JSON.stringify(interval)} cannot go with cron ${JSON.stringify(cron)}: the cron already says when each run is; pass one of them`,
    )
  }
  if (cron !== null && between !== null) {
    throw new InvalidSchedule(
      'between',
      `between ${JSON.stringify(between)} cannot go with a cron: put the hours in the cron's hour field, e.g. "0 2-18 * * *"`,
    )
  }
  if (cron !== null && weekdays !== null) {
    throw new InvalidSchedule(
      'weekdays',
      `weekdays ${weekdayNames(weekdays)} cannot go with a cron: put the days in the cron's day-of-week field, e.g. "0 9 * * 1-5"`,
    )
  }
  const untilOption = input.until === undefined ? null : parseAt('until', input.until, tz, now)
  const repeatsByDefault = cron !== null || (interval !== null && untilOption !== null)
  const { repeat, until } = resolveRepeat(input.repeat, untilOption, repeatsByDefault, tz, now)
  if (repeat !== 0 && interval === null && cron === null) {
    if (input.interval !== undefined) {
      throw new InvalidDuration('interval', input.interval, `must be more than zero when the rule repeats; ${INTERVAL_EXPECTED}`)
    }
    throw new InvalidSchedule(
      'repeat',
      `repeat ${JSON.stringify(input.repeat)} needs an interval or a cron to say when the next runs are; pass interval (e.g. 86400 or "P1D") or cron`,
    )
  }
  if (until !== null && until.toMillis() < anchor.toMillis()) {
    throw new InvalidSchedule(
      'until',
      `until ${until.toISO()} is before at ${anchor.toISO()}, so no run could happen; pass an end after at`,
    )
  }
  if (interval !== null && new IntervalSlots(anchor, interval, tz).at(1).toMillis() <= anchor.toMillis()) {
    throw new InvalidDuration(
      'interval',
      interval,
      `moves the second run to or before the first (at ${anchor.toISO()}); make the month or year part outweigh the negative parts`,
    )
  }
  if (interval !== null && cron === null) {
    // Slots are counted from the anchor in an integer column: one so far back that today's slot
    // number passes 2^31 (1900 with a 1 s interval) cannot be stored.
    const step = new IntervalSlots(anchor, interval, tz).at(1).toMillis() - anchor.toMillis()
    const slotsToNow = (now.toMillis() - anchor.toMillis()) / step
    if (slotsToNow > 2 ** 31 - 1) {
      throw new InvalidSchedule(
        'at',
        `at ${anchor.toISO()} with an interval of ${interval} puts today's run past slot 2147483647; anchor the schedule nearer now (for example at: 'now')`,
      )
    }
  }
  return Object.freeze({ anchor, repeat, until, interval, between, weekdays, cron, tz })
}

/** A rule read for computing: its slots, allowed times and bounds. */
interface CompiledRule {
  readonly bounds: SlotBounds
  readonly allowed: AllowedTimes
  readonly slots: IntervalSlots
  readonly cron: CronSlots | null
}

// Reading a rule again (zone, window text, ISO interval) on every runAt would be waste. Only frozen
// rules are kept: a rule rebuilt from a row as a plain object could change under the cache.
const compiled = new WeakMap<ScheduleRule, CompiledRule>()

function compile(rule: ScheduleRule): CompiledRule {
  const cached = compiled.get(rule)
  if (cached) return cached
  if (rule.repeat !== 0 && rule.interval === null && rule.cron === null) {
    throw new InvalidSchedule(
      'repeat',
      `a rule with repeat ${rule.repeat} needs an interval or a cron, and this one has neither; resolve it again from its input`,
    )
  }
  const tz = checkZone(rule.tz)
  const window = rule.between === null ? null : windowOf(rule.between)
  const weekdays = rule.weekdays === null ? null : new Set(parseWeekdays(rule.weekdays))
  const result: CompiledRule = {
    // The slot search is bounded by `until` only: `repeat` counts runs that happened (nextRun checks
    // it), except that a rule with no repeat has the one slot, its anchor.
    bounds: { repeat: rule.repeat === 0 ? 0 : -1, until: rule.until },
    allowed: { tz, window, weekdays },
    slots: new IntervalSlots(rule.anchor, rule.cron === null ? rule.interval : null, tz),
    cron: rule.cron === null ? null : new CronSlots(rule.cron, tz),
  }
  if (Object.isFrozen(rule)) compiled.set(rule, result)
  return result
}

function checkSlotNumber(k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new InvalidSchedule('k', `invalid slot number ${k}: slots are numbered 0, 1, 2…`)
}

/**
 * The time of slot k (0 = the first run) after the window and weekday moves, or null when k is
 * past `repeat` or that time is past `until`. For a cron rule, the k-th cron time at or after the
 * anchor (found by stepping, so O(k)).
 */
export function runAt(rule: ScheduleRule, k: number): DateTime | null {
  checkSlotNumber(k)
  const c = compile(rule)
  if (rule.repeat >= 0 && k > rule.repeat) return null
  if (c.cron) {
    let at = c.cron.atOrAfter(rule.anchor)
    const next = c.cron.after(at)
    for (let i = 0; i < k && (!rule.until || at.toMillis() <= rule.until.toMillis()); i++) at = next()
    return rule.until && at.toMillis() > rule.until.toMillis() ? null : at
  }
  const at = adjustRun(c.slots.at(k), c.allowed)
  return rule.until && at.toMillis() > rule.until.toMillis() ? null : at
}

/**
 * The run to schedule next, or null when the rule has none left.
 *
 * - `after` null (nothing fired yet): the first slot at or after `now`. When every slot is already
 *   past (a one-off `at` in the past, a rule created after its `until`), its last slot, due at once,
 *   as RQ runs a job scheduled in the past.
 * - `after` = the run just fired, the `fired`th run: null once `fired` reaches 1 + `repeat`, else
 *   the first slot past `after.k` whose time is after both `after.at` and `now`. Slots missed
 *   meanwhile are skipped and not counted (`repeat` counts runs), and since a window can map several
 *   slots onto one time, no time fires twice.
 *
 * Fixed intervals jump straight to the slot; calendar ones guess and step a few times; cron rules
 * step through missed cron times (see {@link cronSlotAfter} for the bound).
 */
export function nextRun(rule: ScheduleRule, after: ScheduleSlot | null, now: DateTime, fired?: number): ScheduleSlot | null {
  if (after) {
    checkSlotNumber(after.k)
    if (rule.repeat > 0 && (fired === undefined || !Number.isInteger(fired) || fired < 1)) {
      throw new InvalidSchedule('fired', `nextRun after a run of a counted rule needs how many runs have fired (1 or more), got ${fired}`)
    }
    if (rule.repeat >= 0 && (fired ?? 1) >= rule.repeat + 1) return null
  }
  const c = compile(rule)
  // "At or after now" for the first run is "after now less 1ms": DateTimes count whole ms.
  const threshold = after ? DateTime.max(after.at, now) : now.minus({ milliseconds: 1 })
  if (c.cron) {
    const first = { k: 0, at: c.cron.atOrAfter(rule.anchor) }
    if (rule.until && first.at.toMillis() > rule.until.toMillis()) return null
    if (!after && first.at.toMillis() > threshold.toMillis()) return first
    const { next, last } = cronSlotAfter(c.cron, c.bounds, after ?? first, threshold)
    return next ?? (after ? null : last)
  }
  const found = firstSlotAfter(c.slots, c.allowed, c.bounds, threshold, after ? after.k + 1 : 0)
  return found ?? (after ? null : lastSlot(c.slots, c.allowed, c.bounds))
}

/** Past this many runs to go, a rule that only `until` ends reports null rather than count them all. */
export const RUNS_LEFT_COUNT_LIMIT = 10_000

/**
 * How many runs are still to happen, counting `next` (the run scheduled next; null when the rule
 * has ended), after `fired` runs: 1 + repeat - fired for a counted rule, fewer if `until` comes
 * first; for a rule only `until` ends, the runs its slots give before it (distinct times, as fired
 * on time), or null past {@link RUNS_LEFT_COUNT_LIMIT}. Null for a rule that runs forever.
 */
export function runsLeft(rule: ScheduleRule, next: ScheduleSlot | null, fired: number): number | null {
  if (next === null) return 0
  checkSlotNumber(next.k)
  const counted = rule.repeat >= 0 ? Math.max(0, rule.repeat + 1 - fired) : null
  if (rule.until === null) return counted
  const limit = counted ?? RUNS_LEFT_COUNT_LIMIT
  let n = 1
  for (let slot: ScheduleSlot | null = next; n < limit; n++) {
    slot = nextRun(rule, slot, slot.at, fired + n)
    if (slot === null) return n
  }
  return counted ?? null
}

/**
 * A short human description of a rule, e.g. "every P1D from 2030-01-01T09:00:00Z between
 * 02:00/18:30 on MO,TU in Europe/London, 10 runs left" (runs left only when `left` is given).
 */
export function describeRule(rule: ScheduleRule, left?: number | null): string {
  const iso = (t: DateTime) => t.toUTC().toISO({ suppressMilliseconds: true }) ?? String(t)
  const parts = [
    rule.cron
      ? `cron "${rule.cron}" from ${iso(rule.anchor)}`
      : rule.interval && rule.repeat !== 0
        ? `every ${rule.interval} from ${iso(rule.anchor)}`
        : `once at ${iso(rule.anchor)}`,
  ]
  if (rule.between) parts.push(`between ${rule.between}`)
  if (rule.weekdays) parts.push(`on ${weekdayNames(rule.weekdays)}`)
  if (rule.tz !== 'UTC') parts.push(`in ${rule.tz}`)
  let text = parts.join(' ')
  if (rule.until) text += ` until ${iso(rule.until)}`
  if (left !== undefined && left !== null && (rule.repeat !== 0 || rule.until)) {
    text += `, ${left} run${left === 1 ? '' : 's'} left`
  } else if (rule.repeat > 0) {
    text += `, ${rule.repeat + 1} runs`
  } else if (rule.repeat < 0 && !rule.until) {
    text += ', forever'
  }
  return text
}
