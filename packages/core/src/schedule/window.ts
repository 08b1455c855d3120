import { InvalidSchedule } from '../errors.js'

/**
 * A daily window, in minutes after local midnight. Runs may start from `open` (hh:mm:00) through
 * `close` (hh:mm:59, so the end is inclusive to the minute). `open > close` crosses midnight.
 */
export interface DailyWindow {
  readonly open: number
  /** Up to 1440 ('24:00'). */
  readonly close: number
}

const DAY_MINUTES = 1440
// hours[:.]minutes, then '/' or '-', then hours[:.]minutes; minutes optional, two digits when given.
const WINDOW = /^(\d{1,2})(?:[:.](\d{2}))?\s*[/-]\s*(\d{1,2})(?:[:.](\d{2}))?$/
const EXPECTED =
  'use H:MM/H:MM or H.MM-H.MM in the rule\'s zone, such as "2:00/18:30", "22:00/02:00" across midnight, or "0-24" for the whole day'

/**
 * Reads a `between` option ('2:00/18:30', '2.00-18.30', '2-18:30', '0-24') into the normalised
 * 'HH:MM/HH:MM' form. Refused with {@link InvalidSchedule} when empty or malformed, or when an hour
 * is past 24 or a minute past 59.
 */
export function parseBetween(input: unknown): string {
  const { open, close } = readWindow(input)
  return `${clock(open)}/${clock(close)}`
}

/** The window of a normalised `between`, or null when it spans the whole day (so moves nothing). */
export function windowOf(between: string): DailyWindow | null {
  const window = readWindow(between)
  const { open, close } = window
  const wholeDay = open <= close ? open === 0 && close >= DAY_MINUTES - 1 : close + 1 >= open
  return wholeDay ? null : window
}

function readWindow(input: unknown): DailyWindow {
  const fail = (problem: string): never => {
    throw new InvalidSchedule('between', `invalid between ${JSON.stringify(input)}: ${problem}${problem ? '; ' : ''}${EXPECTED}`)
  }
  if (typeof input !== 'string') return fail('')
  const match = WINDOW.exec(input.trim())
  if (!match) return fail('')
  const open = minuteOfDay(Number(match[1]), Number(match[2] ?? 0), fail)
  const close = minuteOfDay(Number(match[3]), Number(match[4] ?? 0), fail)
  if (open === DAY_MINUTES) fail('a window cannot open at 24:00 (use 0:00)')
  return { open, close }
}

function minuteOfDay(hour: number, minute: number, fail: (problem: string) => never): number {
  if (hour > 24) fail(`hour ${hour} is past 24`)
  if (minute > 59) fail(`minute ${minute} is past 59`)
  if (hour === 24 && minute > 0) fail(`24:${String(minute).padStart(2, '0')} is past the end of the day`)
  return hour * 60 + minute
}

function clock(minutes: number): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`
}
