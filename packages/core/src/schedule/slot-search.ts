import { DateTime } from 'luxon'
import { adjustRun, daySegments, maxShiftMs, type AllowedTimes, type DaySegment } from './allowed-times.js'
import type { CronSlots } from './cron.js'
import type { IntervalSlots } from './interval.js'

/** A numbered run of a schedule: slot `k` (0 is the first) and when it runs. */
export interface ScheduleSlot {
  readonly k: number
  readonly at: DateTime
}

/**
 * What ends a rule: `repeat` extra runs (-1: no count) and no run after `until`.
 * @internal
 */
export interface SlotBounds {
  readonly repeat: number
  readonly until: DateTime | null
}

/**
 * Past this many missed cron times, a cron rule that no count bounds stops counting them one by one
 * and jumps (cron-parser takes about 5µs a step, so this costs ~50ms at most).
 */
const CRON_COUNT_LIMIT = 10_000

const ms = (t: DateTime) => t.toMillis()
const beyondCount = (bounds: SlotBounds, k: number) => bounds.repeat >= 0 && k > bounds.repeat
const beyondUntil = (bounds: SlotBounds, t: DateTime) => bounds.until !== null && ms(t) > ms(bounds.until)

/**
 * The first slot k ≥ kMin of an interval rule whose adjusted time is after `threshold` and within
 * the bounds, or null when none is left.
 *
 * Window and weekday moves are not monotonic (a Tuesday slot moved to Wednesday 23:00 lands after
 * Wednesday's own slots), so the answer can be a slot whose raw time is before `threshold`, but
 * never one more than {@link maxShiftMs} before it. The search walks the local days from there,
 * a stretch at a time ({@link daySegments}): a stretch that all moves to one time is settled by
 * its first slot, a stretch that shifts by days by the first slot past the shifted threshold, and
 * a day without slots is jumped over. So an every-second rule that missed a month costs a few
 * dozen steps, not millions.
 * @internal
 */
export function firstSlotAfter(
  slots: IntervalSlots,
  allowed: AllowedTimes,
  bounds: SlotBounds,
  threshold: DateTime,
  kMin: number,
): ScheduleSlot | null {
  if (beyondCount(bounds, kMin)) return null
  const start = Math.max(ms(slots.at(kMin)), ms(threshold) - maxShiftMs(allowed))
  let day = DateTime.fromMillis(start, { zone: allowed.tz }).startOf('day')
  for (;;) {
    const k = slots.firstAtOrAfter(day, kMin)
    if (beyondCount(bounds, k)) return null
    const first = slots.at(k)
    if (beyondUntil(bounds, first)) return null
    const dayEnd = day.plus({ days: 1 }).startOf('day')
    if (ms(first) >= ms(dayEnd)) {
      day = first.setZone(allowed.tz).startOf('day')
      continue
    }
    for (const segment of daySegments(day, allowed)) {
      const found = searchSegment(segment, slots, allowed, bounds, threshold, kMin)
      if (found !== 'none') return found
    }
    day = dayEnd
  }
}

/** The first qualifying slot in one stretch; 'none' when the stretch has none; null when the rule ends here. */
function searchSegment(
  segment: DaySegment,
  slots: IntervalSlots,
  allowed: AllowedTimes,
  bounds: SlotBounds,
  threshold: DateTime,
  kMin: number,
): ScheduleSlot | null | 'none' {
  let lower = segment.from
  if (segment.at) {
    if (ms(segment.at) <= ms(threshold)) return 'none'
  } else {
    const shifted = threshold.setZone(allowed.tz).minus({ days: segment.shiftDays })
    if (ms(shifted) > ms(lower)) lower = shifted
  }
  if (ms(lower) >= ms(segment.to)) return 'none'
  // Usually the first slot answers; the loop only steps where DST bends a day's shift by an hour.
  for (let k = slots.firstAtOrAfter(lower, kMin); ; k++) {
    if (beyondCount(bounds, k)) return null
    const raw = slots.at(k)
    if (ms(raw) >= ms(segment.to)) return 'none'
    if (beyondUntil(bounds, raw)) return null
    const at = adjustRun(raw, allowed)
    // Later slots of the stretch move no earlier, so one past `until` settles the stretch.
    if (ms(at) > ms(threshold)) return beyondUntil(bounds, at) ? 'none' : { k, at }
  }
}

/**
 * The last slot of an interval rule that ends (by count or `until`), or null when it has none.
 * @internal
 */
export function lastSlot(slots: IntervalSlots, allowed: AllowedTimes, bounds: SlotBounds): ScheduleSlot | null {
  const { repeat, until } = bounds
  let k = repeat >= 0 ? repeat : Number.POSITIVE_INFINITY
  if (until) k = Math.min(k, slots.firstAtOrAfter(until.plus({ milliseconds: 1 }), 0) - 1)
  if (!Number.isFinite(k)) return null
  // A window or weekday move may push the last few slots past `until`; walk back to one that isn't.
  for (; k >= 0; k--) {
    const at = adjustRun(slots.at(k), allowed)
    if (!beyondUntil(bounds, at)) return { k, at }
  }
  return null
}

/**
 * The first slot of a cron rule after `threshold`, counting on from a known slot `from` (the rule's
 * first, or the run just fired). Returns `last`, the final in-bounds slot passed, when the rule ends
 * first. Counting is exact while a count bounds the rule; otherwise, past {@link CRON_COUNT_LIMIT}
 * missed times, it jumps and k counts only the missed times it stepped over (k is then a label).
 * @internal
 */
export function cronSlotAfter(
  cron: CronSlots,
  bounds: SlotBounds,
  from: ScheduleSlot,
  threshold: DateTime,
): { next: ScheduleSlot | null; last: ScheduleSlot } {
  const next = cron.after(from.at)
  let last = from
  for (let k = from.k + 1; ; k++) {
    if (beyondCount(bounds, k)) return { next: null, last }
    if (bounds.repeat < 0 && k - from.k > CRON_COUNT_LIMIT) return cronJump(cron, bounds, k, threshold, last)
    const at = next()
    if (beyondUntil(bounds, at)) return { next: null, last }
    if (ms(at) > ms(threshold)) return { next: { k, at }, last }
    last = { k, at }
  }
}

function cronJump(
  cron: CronSlots,
  bounds: SlotBounds,
  k: number,
  threshold: DateTime,
  last: ScheduleSlot,
): { next: ScheduleSlot | null; last: ScheduleSlot } {
  const at = cron.after(threshold)()
  if (!bounds.until || !beyondUntil(bounds, at)) return { next: { k, at }, last }
  const final = cron.atOrBefore(bounds.until)
  return { next: null, last: ms(final) > ms(last.at) ? { k, at: final } : last }
}
