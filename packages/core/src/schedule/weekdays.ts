import { InvalidSchedule } from '../errors.js'

/** Weekday names in pq's numbering, as django-pq counts them: 0 is Monday, 6 is Sunday. */
export const WEEKDAY_NAMES = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const

/** A two-letter weekday name. */
export type WeekdayName = (typeof WEEKDAY_NAMES)[number]

const EXPECTED = 'use 0 (Monday) to 6 (Sunday) or MO TU WE TH FR SA SU, e.g. [0, 2] or ["MO", "WE"]'

/**
 * Reads a `weekdays` option (numbers 0-6, Monday first, or two-letter names in any case) into a
 * sorted list of distinct day numbers. An empty list, a number outside 0-6 or an unknown name is
 * refused with {@link InvalidSchedule}.
 */
export function parseWeekdays(input: unknown): number[] {
  const fail = (problem: string): never => {
    throw new InvalidSchedule('weekdays', `invalid weekdays ${show(input)}: ${problem}; ${EXPECTED}`)
  }
  if (!Array.isArray(input)) return fail('expected a list')
  if (input.length === 0) return fail('the list is empty, so no day could run')
  const days = new Set<number>()
  for (const item of input as unknown[]) days.add(weekdayNumber(item, fail))
  return [...days].sort((a, b) => a - b)
}

function weekdayNumber(item: unknown, fail: (problem: string) => never): number {
  const text = typeof item === 'string' ? item.trim().toUpperCase() : null
  const number = typeof item === 'number' ? item : text !== null && /^\d+$/.test(text) ? Number(text) : null
  if (number !== null) {
    if (Number.isInteger(number) && number >= 0 && number <= 6) return number
    return fail(`${JSON.stringify(item)} is not a weekday number`)
  }
  const index = WEEKDAY_NAMES.indexOf(text as WeekdayName)
  return index >= 0 ? index : fail(`${JSON.stringify(item)} is not a weekday`)
}

function show(input: unknown): string {
  try {
    return JSON.stringify(input) ?? String(input)
  } catch {
    // A cyclic or BigInt-holding value cannot be shown as JSON; its string form still names it.
    return String(input)
  }
}

/** The two-letter names of day numbers, comma-separated ('MO,WE'). */
export function weekdayNames(days: readonly number[]): string {
  return days.map((d) => WEEKDAY_NAMES[d] ?? String(d)).join(',')
}
