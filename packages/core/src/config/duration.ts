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
export function toSeconds(option: string, input: DurationInput): number {
  const seconds = parseSeconds(option, input)
  if (!(seconds > 0)) throw new InvalidDuration(option, input, `must be more than zero; ${EXPECTED}`)
  return seconds
}

/**
 * Reads a TTL: seconds, a unit form, 0 (meaning "delete at once") or -1 (meaning "keep forever").
 */
export function toTtlSeconds(option: string, input: DurationInput): number {
  if (input === -1 || input === '-1') return -1
  const seconds = parseSeconds(option, input)
  if (seconds < 0) throw new InvalidDuration(option, input, `must be 0 (delete at once), -1 (keep forever) or positive; ${EXPECTED}`)
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
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*([smhdSMHD]?)\s*$/.exec(input)
  if (!match) throw new InvalidDuration(option, input, EXPECTED)
  const unit = (match[2] ?? '').toLowerCase()
  return Number(match[1]) * (unit ? UNIT_SECONDS[unit]! : 1)
}
