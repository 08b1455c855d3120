import { Duration } from 'luxon'
import { InvalidDuration } from '../errors.js'

/** What a duration option accepts: seconds, or a whole number with a unit ('15s', '30m', '1h', '2d'; 'M' = minutes as in RQ). */
export type DurationInput = number | string | Duration

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }
const EXPECTED = 'use seconds (e.g. 90) or a number with a unit: 15s, 30m, 1h, 2d'

/**
 * Converts a positive duration option to seconds. Zero, negatives and forms like 'h12' or '10k'
 * are refused, naming the option.
 */
export function toSeconds(option: string, input: DurationInput, max = MAX_SECONDS): number {
  const seconds = parseSeconds(option, input)
  if (!(seconds > 0)) throw new InvalidDuration(option, input, `must be more than zero; ${EXPECTED}`)
  if (seconds > max) throw new InvalidDuration(option, input, `is too long: at most ${max} seconds (${describeMax(max)}); ${EXPECTED}`)
  return seconds
}

/** The most seconds an integer column holds (about 68 years). */
export const MAX_SECONDS = 2 ** 31 - 1
/** The longest job timeout: Node's timers reach 2^31-1 ms (24.8 days). Shared by the API and the CLIs. */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000)

const describeMax = (max: number) =>
  max >= 365 * 86400 ? `about ${Math.floor(max / (365 * 86400))} years` : `about ${(max / 86400).toFixed(1)} days`

/** A whole number of seconds from 1 to `max`, for options stored in integer columns (ttl). */
export function toWholeSeconds(option: string, input: DurationInput, max = MAX_SECONDS): number {
  const seconds = toSeconds(option, input, max)
  if (!Number.isInteger(seconds)) throw new InvalidDuration(option, input, `must be whole seconds; ${EXPECTED}`)
  return seconds
}

/**
 * Reads a TTL: seconds, a unit form, 0 (meaning "delete at once") or -1 (meaning "keep forever").
 */
export function toTtlSeconds(option: string, input: DurationInput): number {
  if (input === -1 || input === '-1') return -1
  const seconds = parseSeconds(option, input)
  if (seconds < 0) throw new InvalidDuration(option, input, `must be 0 (delete at once), -1 (keep forever) or positive; ${EXPECTED}`)
  if (seconds > MAX_SECONDS)
    throw new InvalidDuration(
      option,
      input,
      `is too long: at most ${MAX_SECONDS} seconds (${describeMax(MAX_SECONDS)}), or -1 to keep forever`,
    )
  if (!Number.isInteger(seconds)) throw new InvalidDuration(option, input, `must be whole seconds; ${EXPECTED}`)
  return seconds
}

function parseSeconds(option: string, input: DurationInput): number {
  if (Duration.isDuration(input)) {
    if (!input.isValid) throw new InvalidDuration(option, input.toISO(), EXPECTED)
    return input.as('seconds')
  }
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new InvalidDuration(option, input, EXPECTED)
    return input
  }
  if (typeof input !== 'string') throw new InvalidDuration(option, input, EXPECTED)
  const seconds = unitFormSeconds(input)
  if (seconds === null) throw new InvalidDuration(option, input, EXPECTED)
  return seconds
}

/**
 * Reads pq's duration text: seconds ('90', '-1') or a number with a unit ('15s', '30m', '1h', '2d';
 * 'm' is minutes, as in RQ), as seconds; null for anything else. The one reader of these forms,
 * shared by the duration options and schedule intervals.
 * @internal
 */
export function unitFormSeconds(text: string): number | null {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(text)
  if (!match) return null
  const unit = (match[2] ?? '').toLowerCase()
  return Number(match[1]) * (unit ? UNIT_SECONDS[unit]! : 1)
}
