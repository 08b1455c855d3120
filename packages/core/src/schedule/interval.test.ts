import { describe, expect, it } from '@jest/globals'
import { DateTime, Duration } from 'luxon'
import { InvalidDuration } from '../errors.js'
import { IntervalSlots, parseInterval } from './interval.js'

const utc = (text: string) => DateTime.fromISO(text, { zone: 'utc' })
const iso = (t: DateTime) => t.toISO({ suppressMilliseconds: true })

describe('parseInterval', () => {
  it.each([
    [3600, 'PT1H'],
    [90, 'PT1M30S'],
    [1.5, 'PT1.5S'],
    [86400, 'P1D'],
    [172800, 'P2D'],
    ['86400', 'P1D'],
    ['30m', 'PT30M'],
    ['2d', 'P2D'],
    [' 1.5H ', 'PT1H30M'],
    ['PT30M', 'PT30M'],
    ['p1m', 'P1M'],
    ['P1M-1D', 'P1M-1D'],
    [{ months: 1, days: -1 }, 'P1M-1D'],
    [{ weeks: 1 }, 'P7D'],
    [{ quarters: 1 }, 'P3M'],
    [{ hours: 36 }, 'PT36H'],
  ])('reads %j as %s', (input, normalised) => {
    expect(parseInterval(input)).toBe(normalised)
  })

  it('reads a luxon Duration', () => {
    expect(parseInterval(Duration.fromObject({ days: 1, hours: 2 }))).toBe('P1DT2H')
  })

  it('gives null for a zero interval, so the caller decides whether that is allowed', () => {
    expect(parseInterval(0)).toBeNull()
    expect(parseInterval('PT0S')).toBeNull()
  })

  it.each([
    [-5, 'invalid interval -5: must be a positive number of seconds'],
    [Number.NaN, 'invalid interval "NaN": must be a positive number of seconds'],
    ['abc', 'invalid interval "abc": use seconds (86400)'],
    ['10k', 'invalid interval "10k": use seconds'],
    ['-P1D', 'invalid interval "-P1D": must be more than zero'],
    ['-5m', 'invalid interval "-5m": must be more than zero'],
    [{ months: 1.5 }, 'months must be a whole number, not 1.5'],
    [{ fortnights: 1 }, 'invalid interval {"fortnights":1}: unknown unit'],
    [
      { days: 1, hours: -30 },
      'invalid interval {"days":1,"hours":-30}: must be more than zero (a negative part is allowed only after a month or year part',
    ],
    [{ months: -1 }, 'invalid interval {"months":-1}: years and months must not be negative'],
    [{ days: '1' }, 'days must be a finite number, not "1"'],
  ])('refuses %j with a message naming it', (input, message) => {
    const attempt = () => parseInterval(input as never)
    expect(attempt).toThrow(InvalidDuration)
    expect(attempt).toThrow(message)
  })
})

describe('IntervalSlots', () => {
  it("runs on the last day of each month for django-pq's { months: 1, days: -1 } anchored on the 1st", () => {
    const slots = new IntervalSlots(utc('2030-02-01T00:00'), 'P1M-1D', 'UTC')
    expect([0, 1, 2, 3, 4].map((k) => iso(slots.at(k)))).toEqual([
      '2030-02-01T00:00:00Z',
      '2030-02-28T00:00:00Z',
      '2030-03-31T00:00:00Z',
      '2030-04-30T00:00:00Z',
      '2030-05-31T00:00:00Z',
    ])
  })

  it('comes back to the 31st for P1M anchored on January 31st, since each run counts from the anchor', () => {
    const slots = new IntervalSlots(utc('2030-01-31T10:00'), 'P1M', 'UTC')
    expect([1, 2, 3, 4].map((k) => iso(slots.at(k)))).toEqual([
      '2030-02-28T10:00:00Z',
      '2030-03-31T10:00:00Z',
      '2030-04-30T10:00:00Z',
      '2030-05-31T10:00:00Z',
    ])
    expect(iso(new IntervalSlots(utc('2032-01-31T10:00'), 'P1M', 'UTC').at(1))).toBe('2032-02-29T10:00:00Z')
  })

  it('keeps the wall-clock time of day-based intervals across a DST change, but not of hour-based ones', () => {
    const anchor = DateTime.fromISO('2030-03-30T09:00', { zone: 'Europe/London' })
    expect(iso(new IntervalSlots(anchor, 'P1D', 'Europe/London').at(1))).toBe('2030-03-31T08:00:00Z')
    expect(iso(new IntervalSlots(anchor, 'PT24H', 'Europe/London').at(1))).toBe('2030-03-31T09:00:00Z')
  })

  it('finds the first slot at or after a time directly for fixed and calendar intervals', () => {
    const seconds = new IntervalSlots(utc('2030-01-01T00:00'), 'PT1S', 'UTC')
    expect(seconds.firstAtOrAfter(utc('2030-01-31T00:00:00.5'), 0)).toBe(30 * 86400 + 1)
    expect(seconds.firstAtOrAfter(utc('2030-01-31T00:00:00'), 0)).toBe(30 * 86400)
    expect(seconds.firstAtOrAfter(utc('2029-01-01T00:00'), 5)).toBe(5)
    const monthly = new IntervalSlots(utc('2030-02-01T00:00'), 'P1M-1D', 'UTC')
    expect(monthly.firstAtOrAfter(utc('2130-06-15T00:00'), 0)).toBe(1205)
    expect(iso(monthly.at(1205))).toBe('2130-06-30T00:00:00Z')
    expect(iso(monthly.at(1204))).toBe('2130-05-31T00:00:00Z')
  })
})
