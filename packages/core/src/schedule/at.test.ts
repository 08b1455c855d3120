import { describe, expect, it } from '@jest/globals'
import { DateTime } from 'luxon'
import { InvalidDate, InvalidSchedule } from '../errors.js'
import { checkZone, parseAt } from './at.js'

const now = DateTime.fromISO('2030-06-15T12:34:56.789Z', { zone: 'utc' })
const iso = (t: DateTime) => t.toISO({ suppressMilliseconds: true })

describe('parseAt', () => {
  it('reads a date-time without an offset as wall-clock time in the zone', () => {
    expect(iso(parseAt('at', '2030-01-01T09:30', 'Europe/London', now))).toBe('2030-01-01T09:30:00Z')
    expect(iso(parseAt('at', '2030-07-01T09:30', 'Europe/London', now))).toBe('2030-07-01T08:30:00Z')
    expect(iso(parseAt('at', '2030-07-01T09:30:15', 'America/New_York', now))).toBe('2030-07-01T13:30:15Z')
  })

  it('reads a date alone as midnight in the zone', () => {
    expect(iso(parseAt('at', '2030-01-01', 'UTC', now))).toBe('2030-01-01T00:00:00Z')
    expect(iso(parseAt('at', '2030-01-01', 'Europe/Helsinki', now))).toBe('2029-12-31T22:00:00Z')
  })

  it('reads a date-time with an offset or Z as that instant, whatever the zone', () => {
    expect(iso(parseAt('at', '2030-01-01T09:00+02:00', 'Europe/London', now))).toBe('2030-01-01T07:00:00Z')
    expect(iso(parseAt('at', '2030-01-01T09:00Z', 'America/New_York', now))).toBe('2030-01-01T09:00:00Z')
  })

  it('accepts one-digit hours, which luxon alone refuses', () => {
    expect(iso(parseAt('at', '2020-01-01T9:10', 'UTC', now))).toBe('2020-01-01T09:10:00Z')
    expect(iso(parseAt('at', '2020-01-01T9:10+02:00', 'UTC', now))).toBe('2020-01-01T07:10:00Z')
  })

  it('accepts a space instead of the T', () => {
    expect(iso(parseAt('at', '2020-01-01 9:10', 'UTC', now))).toBe('2020-01-01T09:10:00Z')
  })

  it('reads now, in any case, as the now it is given', () => {
    expect(parseAt('at', 'now', 'Europe/London', now).toISO()).toBe('2030-06-15T12:34:56.789Z')
    expect(parseAt('at', ' NOW ', 'UTC', now).toMillis()).toBe(now.toMillis())
  })

  it('takes a DateTime or a Date as the instant it is, in UTC', () => {
    const paris = DateTime.fromISO('2030-01-01T10:00', { zone: 'Europe/Paris' })
    const fromDateTime = parseAt('at', paris, 'UTC', now)
    expect(iso(fromDateTime)).toBe('2030-01-01T09:00:00Z')
    expect(fromDateTime.zoneName).toBe('UTC')
    expect(iso(parseAt('at', new Date('2030-01-01T09:00:00Z'), 'Europe/London', now))).toBe('2030-01-01T09:00:00Z')
  })

  it.each([
    ['a word', 'yesterday'],
    ['a month past 12', '2030-13-01'],
    ['a time without a date', '09:00'],
    ['a year alone', '2030'],
    ['an empty string', ''],
  ])('refuses %s, naming the option and the value', (_, value) => {
    const attempt = () => parseAt('until', value, 'UTC', now)
    expect(attempt).toThrow(InvalidDate)
    expect(attempt).toThrow(`invalid until ${JSON.stringify(value)}: use an ISO 8601 date or date-time such as 2030-01-01`)
  })

  it('refuses an invalid Date, an invalid DateTime and a number', () => {
    expect(() => parseAt('at', new Date('nope'), 'UTC', now)).toThrow(/invalid at "Invalid Date"/)
    expect(() => parseAt('at', DateTime.invalid('broken'), 'UTC', now)).toThrow(/invalid at "invalid DateTime \(broken\)"/)
    expect(() => parseAt('at', 1_900_000_000 as unknown as string, 'UTC', now)).toThrow(InvalidDate)
  })
})

describe('checkZone', () => {
  it('accepts IANA zones', () => {
    expect(checkZone('Europe/London')).toBe('Europe/London')
    expect(checkZone('UTC')).toBe('UTC')
  })

  it('refuses an unknown zone, naming it and showing valid ones', () => {
    expect(() => checkZone('Mars/Olympus')).toThrow(InvalidSchedule)
    expect(() => checkZone('Mars/Olympus')).toThrow(
      'unknown time zone "Mars/Olympus": use an IANA zone such as "UTC", "Europe/London" or "America/New_York"',
    )
    expect(() => checkZone('')).toThrow(InvalidSchedule)
  })
})
