import { describe, expect, it } from '@jest/globals'
import { DateTime } from 'luxon'
import { InvalidDate, InvalidDuration, InvalidSchedule } from '../errors.js'
import { describeRule, resolveScheduleRule, runAt, runsLeft, type ScheduleRule, type ScheduleRuleInput } from './schedule-rules.js'

const NOW = DateTime.fromISO('2029-12-01T00:00:00Z', { zone: 'utc' })
const rule = (input: ScheduleRuleInput): ScheduleRule => resolveScheduleRule(input, NOW)
const iso = (t: DateTime | null) => t?.toUTC().toISO({ suppressMilliseconds: true }) ?? null
/** Slots 0..n-1 of a rule, to the second. */
const runs = (r: ScheduleRule, n: number) => Array.from({ length: n }, (_, k) => iso(runAt(r, k)))
/** The single run of a one-off rule. */
const once = (input: ScheduleRuleInput) => iso(runAt(rule(input), 0))

describe('resolveScheduleRule', () => {
  it('normalises every option into the stored form', () => {
    const r = rule({ at: '2030-01-01T9:00', interval: 86400, repeat: 3, between: '2-18:30', weekdays: ['tu', 0], tz: 'Europe/London' })
    expect({ ...r, anchor: iso(r.anchor) }).toEqual({
      anchor: '2030-01-01T09:00:00Z',
      repeat: 3,
      until: null,
      interval: 'P1D',
      between: '02:00/18:30',
      weekdays: [0, 1],
      cron: null,
      tz: 'Europe/London',
    })
    expect(Object.isFrozen(r)).toBe(true)
  })

  it('runs once in UTC by default, starting now for at "now"', () => {
    const r = rule({ at: 'now' })
    expect([r.repeat, r.tz, r.until, r.interval, iso(r.anchor)]).toEqual([0, 'UTC', null, null, '2029-12-01T00:00:00Z'])
  })

  it('repeats forever by default with a cron, or with an interval and an until', () => {
    expect(rule({ at: 'now', cron: '0 9 * * *' }).repeat).toBe(-1)
    expect(rule({ at: 'now', interval: 60, until: '2030-01-01' }).repeat).toBe(-1)
    expect(rule({ at: 'now', interval: 60 }).repeat).toBe(0)
  })

  it('reads a dated repeat as an until, the earlier of the two winning', () => {
    const r = rule({ at: '2030-01-01', interval: 'P1D', repeat: '2030-01-05' })
    expect([r.repeat, iso(r.until)]).toEqual([-1, '2030-01-05T00:00:00Z'])
    const both = rule({ at: '2030-01-01', interval: 'P1D', repeat: new Date('2030-01-05T00:00:00Z'), until: '2030-01-03' })
    expect(iso(both.until)).toBe('2030-01-03T00:00:00Z')
    expect(rule({ at: '2030-01-01', interval: 'P1D', repeat: '4' }).repeat).toBe(4)
  })
})

describe('runAt with an interval', () => {
  it('runs exactly three times for repeat 2, then gives null', () => {
    expect(runs(rule({ at: '2030-01-01T09:00', interval: 'P1D', repeat: 2 }), 4)).toEqual([
      '2030-01-01T09:00:00Z',
      '2030-01-02T09:00:00Z',
      '2030-01-03T09:00:00Z',
      null,
    ])
  })

  it('runs on for repeat -1', () => {
    expect(iso(runAt(rule({ at: '2030-01-01T09:00', interval: 86400, repeat: -1 }), 365))).toBe('2031-01-01T09:00:00Z')
  })

  it('runs a one-off rule once', () => {
    expect(runs(rule({ at: '2030-01-01T09:00' }), 2)).toEqual(['2030-01-01T09:00:00Z', null])
  })

  it('runs no later than until, which is inclusive', () => {
    const ninth = runs(rule({ at: '2030-01-01T09:00', interval: 'P1D', until: '2030-01-03T09:00' }), 4)
    expect(ninth).toEqual(['2030-01-01T09:00:00Z', '2030-01-02T09:00:00Z', '2030-01-03T09:00:00Z', null])
    const midnight = runs(rule({ at: '2030-01-01T09:00', interval: 'P1D', until: '2030-01-03' }), 3)
    expect(midnight).toEqual(['2030-01-01T09:00:00Z', '2030-01-02T09:00:00Z', null])
  })

  it('stops at whichever of repeat and until comes first', () => {
    expect(runs(rule({ at: '2030-01-01T09:00', interval: 'P1D', repeat: 5, until: '2030-01-02T12:00' }), 3)).toEqual([
      '2030-01-01T09:00:00Z',
      '2030-01-02T09:00:00Z',
      null,
    ])
  })

  it('runs on the last day of each month for { months: 1, days: -1 } anchored on February 1st', () => {
    expect(runs(rule({ at: '2030-02-01', interval: { months: 1, days: -1 }, repeat: -1 }), 5)).toEqual([
      '2030-02-01T00:00:00Z',
      '2030-02-28T00:00:00Z',
      '2030-03-31T00:00:00Z',
      '2030-04-30T00:00:00Z',
      '2030-05-31T00:00:00Z',
    ])
  })

  it('runs on the 28th, 31st and 30th for P1M anchored on January 31st', () => {
    expect(runs(rule({ at: '2030-01-31T08:00', interval: 'P1M', repeat: 3 }), 4)).toEqual([
      '2030-01-31T08:00:00Z',
      '2030-02-28T08:00:00Z',
      '2030-03-31T08:00:00Z',
      '2030-04-30T08:00:00Z',
    ])
  })

  it('keeps 09:00 Europe/London across the March change, for P1D and for 86400 seconds alike', () => {
    const expected = ['2030-03-29T09:00:00Z', '2030-03-30T09:00:00Z', '2030-03-31T08:00:00Z', '2030-04-01T08:00:00Z']
    expect(runs(rule({ at: '2030-03-29T09:00', interval: 'P1D', repeat: -1, tz: 'Europe/London' }), 4)).toEqual(expected)
    expect(runs(rule({ at: '2030-03-29T09:00', interval: 86400, repeat: -1, tz: 'Europe/London' }), 4)).toEqual(expected)
  })

  it('keeps 09:00 Europe/London across the October change', () => {
    expect(runs(rule({ at: '2030-10-26T09:00', interval: 'P1D', repeat: 1, tz: 'Europe/London' }), 2)).toEqual([
      '2030-10-26T08:00:00Z',
      '2030-10-27T09:00:00Z',
    ])
  })
})

describe('runAt with a window', () => {
  it.each(['2:00/18:30', '2.00-18.30', '2-18:30', '02:00/18:30'])('moves a run before %s to its opening that day', (between) => {
    expect(once({ at: '2030-01-01T01:00', between })).toBe('2030-01-01T02:00:00Z')
  })

  it('keeps a run inside the window, the end inclusive through its last minute', () => {
    expect(once({ at: '2030-01-01T02:00', between: '2:00/18:30' })).toBe('2030-01-01T02:00:00Z')
    expect(once({ at: '2030-01-01T18:30:59', between: '2:00/18:30' })).toBe('2030-01-01T18:30:59Z')
  })

  it('moves a run after the window to its opening the next day', () => {
    expect(once({ at: '2030-01-01T18:31', between: '2:00/18:30' })).toBe('2030-01-02T02:00:00Z')
  })

  it('moves nothing for 0-24', () => {
    expect(once({ at: '2030-01-01T03:17:05', between: '0-24' })).toBe('2030-01-01T03:17:05Z')
  })

  it('keeps runs inside a window that crosses midnight, and moves the rest to its opening that day', () => {
    const at = (time: string) => once({ at: `2030-01-01T${time}`, between: '22:00/02:00' })
    expect(at('23:00')).toBe('2030-01-01T23:00:00Z')
    expect(at('01:30')).toBe('2030-01-01T01:30:00Z')
    expect(at('02:00:59')).toBe('2030-01-01T02:00:59Z')
    expect(at('02:01')).toBe('2030-01-01T22:00:00Z')
    expect(at('12:00')).toBe('2030-01-01T22:00:00Z')
  })

  it("reads the window in the rule's zone", () => {
    expect(once({ at: '2030-07-01T07:00Z', between: '9:00/17:00', tz: 'Europe/London' })).toBe('2030-07-01T08:00:00Z')
  })

  it('opens a window whose opening the spring-forward gap skips when the gap ends', () => {
    // New York skips 02:00-03:00 on 2030-03-10: the window opens at 03:00 EDT, and 03:26 EDT is inside it.
    expect(once({ at: '2030-03-10T01:00', between: '2:30/4:00', tz: 'America/New_York' })).toBe('2030-03-10T07:00:00Z')
    expect(once({ at: '2030-03-10T07:26Z', between: '2:30/4:00', tz: 'America/New_York' })).toBe('2030-03-10T07:26:00Z')
  })

  it('treats a run after a window that the spring-forward gap cut short as after it', () => {
    // 03:26 EDT on 2031-03-09 is past 2:30 (the clock went 01:59 → 03:00), so the run moves to the next Sunday's 01:30.
    expect(once({ at: '2031-03-09T07:26Z', between: '1:30/2:30', weekdays: ['SU'], tz: 'America/New_York' })).toBe('2031-03-16T05:30:00Z')
  })

  it('moves each run of a repeating rule on its own, so several may land on one time', () => {
    expect(runs(rule({ at: '2030-01-01T16:00', interval: 3600, repeat: 3, between: '9-17:30' }), 4)).toEqual([
      '2030-01-01T16:00:00Z',
      '2030-01-01T17:00:00Z',
      '2030-01-02T09:00:00Z',
      '2030-01-02T09:00:00Z',
    ])
  })
})

describe('runAt with weekdays', () => {
  it('moves a run to the next allowed day numbered from Monday as 0, at the same time of day', () => {
    expect(once({ at: '2030-01-07T10:00', weekdays: [2] })).toBe('2030-01-09T10:00:00Z')
  })

  it('reads day names in any case', () => {
    expect(once({ at: '2030-01-05T08:15:30', weekdays: ['we', 'FR'] })).toBe('2030-01-09T08:15:30Z')
    expect(once({ at: '2030-01-04T08:15:30', weekdays: ['we', 'FR'] })).toBe('2030-01-04T08:15:30Z')
  })

  it('checks the day the window moved a run to', () => {
    expect(once({ at: '2030-01-01T19:00', between: '9-17', weekdays: ['TU', 'TH'] })).toBe('2030-01-03T09:00:00Z')
    expect(once({ at: '2030-01-04T20:00', between: '9-17', weekdays: [0, 1, 2, 3, 4] })).toBe('2030-01-07T09:00:00Z')
  })

  it('moves a run inside a cross-midnight window on a disallowed day to the next allowed day', () => {
    expect(once({ at: '2030-01-08T01:00', between: '22:00/02:00', weekdays: ['MO'] })).toBe('2030-01-14T01:00:00Z')
  })

  it("reads days in the rule's zone", () => {
    // 23:30 UTC on Friday is already Saturday 01:30 in Helsinki (UTC+2); Monday 01:30 there is Sunday 23:30 UTC.
    expect(once({ at: '2030-01-04T23:30Z', weekdays: [0, 1, 2, 3, 4], tz: 'Europe/Helsinki' })).toBe('2030-01-06T23:30:00Z')
  })
})

describe('runAt with a cron', () => {
  it("runs at successive cron times in the rule's zone, from the first at or after at", () => {
    expect(runs(rule({ at: '2030-07-05T10:00', cron: '30 9 * * 1-5', tz: 'Europe/London' }), 3)).toEqual([
      '2030-07-08T08:30:00Z',
      '2030-07-09T08:30:00Z',
      '2030-07-10T08:30:00Z',
    ])
  })

  it('counts at itself when it is a cron time', () => {
    expect(iso(runAt(rule({ at: '2030-01-01T09:00', cron: '0 9 * * *' }), 0))).toBe('2030-01-01T09:00:00Z')
  })

  it('reads six fields with seconds first', () => {
    expect(runs(rule({ at: '2030-01-01T00:00:05', cron: '*/15 * * * * *' }), 4)).toEqual([
      '2030-01-01T00:00:15Z',
      '2030-01-01T00:00:30Z',
      '2030-01-01T00:00:45Z',
      '2030-01-01T00:01:00Z',
    ])
  })

  it('keeps 09:00 America/New_York across the March change', () => {
    expect(runs(rule({ at: '2030-03-09', cron: '0 9 * * *', tz: 'America/New_York' }), 3)).toEqual([
      '2030-03-09T14:00:00Z',
      '2030-03-10T13:00:00Z',
      '2030-03-11T13:00:00Z',
    ])
  })

  it('stops after repeat and at until', () => {
    expect(runs(rule({ at: '2030-01-01', cron: '0 9 * * *', repeat: 1 }), 3)).toEqual([
      '2030-01-01T09:00:00Z',
      '2030-01-02T09:00:00Z',
      null,
    ])
    expect(runs(rule({ at: '2030-01-01', cron: '0 9 * * *', until: '2030-01-02T09:00' }), 3)).toEqual([
      '2030-01-01T09:00:00Z',
      '2030-01-02T09:00:00Z',
      null,
    ])
  })
})

describe('runsLeft and describeRule', () => {
  const at = (k: number, iso: string) => ({ k, at: DateTime.fromISO(iso, { zone: 'utc' }) })

  it('counts the runs still to happen from the runs fired, not from the slot number', () => {
    const r = rule({ at: '2030-01-01', interval: 'P1D', repeat: 2 })
    expect(runsLeft(r, at(0, '2030-01-01'), 0)).toBe(3)
    // Slot 9 after one run (slots 1-8 missed while no worker ran): two runs are still to come.
    expect(runsLeft(r, at(9, '2030-01-10'), 1)).toBe(2)
    expect(runsLeft(r, at(9, '2030-01-10'), 2)).toBe(1)
    expect(runsLeft(r, null, 3)).toBe(0)
    expect(runsLeft(rule({ at: '2030-01-01', interval: 'P1D', repeat: -1 }), at(5, '2030-01-06'), 5)).toBeNull()
  })

  it('gives the number a rule bounded by until still has, not null', () => {
    const r = rule({ at: '2030-01-01', interval: 'P1D', until: '2030-02-01' })
    // Jan 6 to Feb 1, both included.
    expect(runsLeft(r, at(5, '2030-01-06'), 5)).toBe(27)
    expect(runsLeft(rule({ at: '2030-01-01', interval: 'P1D', repeat: 100, until: '2030-01-03' }), at(0, '2030-01-01'), 0)).toBe(3)
    expect(runsLeft(rule({ at: '2030-01-01', cron: '0 9 * * *', until: '2030-01-03T12:00' }), at(0, '2030-01-01T09:00'), 0)).toBe(3)
    // Windows fold several slots onto one time: hourly from 16:00 in 9-17:30 gives 16:00, 17:00, then 09:00 next day.
    expect(
      runsLeft(
        rule({ at: '2030-01-01T16:00', interval: 3600, between: '9-17:30', until: '2030-01-02T09:30' }),
        at(0, '2030-01-01T16:00'),
        0,
      ),
    ).toBe(3)
    // Beyond the counting limit: null rather than minutes of counting.
    expect(runsLeft(rule({ at: '2030-01-01', interval: 1, until: '2031-01-01' }), at(0, '2030-01-01'), 0)).toBeNull()
  })

  it('describes a rule in one short line', () => {
    const r = rule({ at: '2030-01-01T09:00', interval: 'P1D', repeat: 9, between: '2:00/18:30', weekdays: [0, 1], tz: 'Europe/London' })
    expect(describeRule(r, 10)).toBe('every P1D from 2030-01-01T09:00:00Z between 02:00/18:30 on MO,TU in Europe/London, 10 runs left')
    expect(describeRule(r)).toBe('every P1D from 2030-01-01T09:00:00Z between 02:00/18:30 on MO,TU in Europe/London, 10 runs')
    expect(describeRule(rule({ at: '2030-01-01', cron: '0 9 * * *' }))).toBe('cron "0 9 * * *" from 2030-01-01T00:00:00Z, forever')
    expect(describeRule(rule({ at: '2030-01-01' }))).toBe('once at 2030-01-01T00:00:00Z')
    expect(describeRule(rule({ at: '2030-01-01', interval: 60, until: '2030-01-02' }))).toBe(
      'every PT1M from 2030-01-01T00:00:00Z until 2030-01-02T00:00:00Z',
    )
  })
})

describe('resolveScheduleRule refusals', () => {
  const refusals: [string, ScheduleRuleInput, new (...args: never[]) => Error, string][] = [
    ['an unreadable at', { at: 'soon' }, InvalidDate, 'invalid at "soon": use an ISO 8601 date'],
    ['a missing at', {} as ScheduleRuleInput, InvalidDate, 'invalid at undefined: use an ISO 8601 date'],
    ['an unreadable until', { at: 'now', interval: 60, until: '2030-02-30' }, InvalidDate, 'invalid until "2030-02-30"'],
    [
      'an until before at',
      { at: '2030-01-02', interval: 60, until: '2030-01-01' },
      InvalidSchedule,
      'until 2030-01-01T00:00:00.000Z is before at 2030-01-02T00:00:00.000Z',
    ],
    ['an unknown zone', { at: 'now', tz: 'Europe/Lodnon' }, InvalidSchedule, 'unknown time zone "Europe/Lodnon"'],
    [
      'repeat -2',
      { at: 'now', interval: 60, repeat: -2 },
      InvalidSchedule,
      'invalid repeat -2: use 0 (run once), N (run N more times), -1 (forever) or an end date',
    ],
    ['repeat 1.5', { at: 'now', interval: 60, repeat: 1.5 }, InvalidSchedule, 'invalid repeat 1.5:'],
    ['repeat "abc"', { at: 'now', interval: 60, repeat: 'abc' }, InvalidSchedule, 'invalid repeat "abc":'],
    ['a repeat without an interval or a cron', { at: 'now', repeat: 3 }, InvalidSchedule, 'repeat 3 needs an interval or a cron'],
    [
      'a dated repeat without an interval or a cron',
      { at: 'now', repeat: '2030-01-01' },
      InvalidSchedule,
      'repeat "2030-01-01" needs an interval or a cron',
    ],
    [
      'a zero interval with a repeat',
      { at: 'now', interval: 0, repeat: 3 },
      InvalidDuration,
      'invalid interval 0: must be more than zero when the rule repeats',
    ],
    ['a negative interval', { at: 'now', interval: -60 }, InvalidDuration, 'invalid interval -60'],
    ['an unreadable interval', { at: 'now', interval: 'every day', repeat: 3 }, InvalidDuration, 'invalid interval "every day"'],
    [
      'an interval that moves back in time',
      { at: '2030-02-01', interval: { months: 1, days: -40 }, repeat: 3 },
      InvalidDuration,
      'invalid interval "P1M-40D": moves the second run to or before the first',
    ],
    [
      'an interval with a cron',
      { at: 'now', interval: 60, cron: '* * * * *' },
      InvalidSchedule,
      'interval "PT1M" cannot go with cron "* * * * *"',
    ],
    [
      'a window with a cron',
      { at: 'now', between: '9-17', cron: '* * * * *' },
      InvalidSchedule,
      'between "09:00/17:00" cannot go with a cron',
    ],
    ['weekdays with a cron', { at: 'now', weekdays: [0], cron: '* * * * *' }, InvalidSchedule, 'weekdays MO cannot go with a cron'],
    ['a malformed window', { at: 'now', between: '9 to 5' }, InvalidSchedule, 'invalid between "9 to 5"'],
    ['an empty window', { at: 'now', between: '' }, InvalidSchedule, 'invalid between ""'],
    ['an hour past 24', { at: 'now', between: '2:00/25:00' }, InvalidSchedule, 'hour 25 is past 24'],
    ['a minute past 59', { at: 'now', between: '2:75/5:00' }, InvalidSchedule, 'minute 75 is past 59'],
    ['weekday 7', { at: 'now', weekdays: [7] }, InvalidSchedule, 'invalid weekdays [7]: 7 is not a weekday number'],
    ['weekday -1', { at: 'now', weekdays: [-1] }, InvalidSchedule, 'invalid weekdays [-1]'],
    ['weekday XX', { at: 'now', weekdays: ['XX'] }, InvalidSchedule, 'invalid weekdays ["XX"]'],
    ['no weekdays', { at: 'now', weekdays: [] }, InvalidSchedule, 'invalid weekdays []'],
    [
      'a cron field out of range',
      { at: 'now', cron: '61 * * * *' },
      InvalidSchedule,
      'invalid cron "61 * * * *": Constraint error, got value 61 expected range 0-59; use 5 fields',
    ],
    ['a cron with too few fields', { at: 'now', cron: '* * *' }, InvalidSchedule, 'invalid cron "* * *": found 3 fields; use 5 fields'],
    ['a cron with too many fields', { at: 'now', cron: '* * * * * * *' }, InvalidSchedule, 'invalid cron "* * * * * * *": found 7 fields'],
    ['a cron that never fires', { at: 'now', cron: '0 0 30 2 *' }, InvalidSchedule, 'invalid cron "0 0 30 2 *":'],
    ['an empty cron', { at: 'now', cron: '' }, InvalidSchedule, 'invalid cron "": found 0 fields'],
  ]

  it.each(refusals)('refuses %s with the right error and a one-line message naming the value', (_, input, type, message) => {
    let caught: unknown
    try {
      rule(input)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(type)
    expect((caught as Error).message).toContain(message)
    expect((caught as Error).message).not.toContain('\n')
  })

  it('refuses a negative slot number', () => {
    expect(() => runAt(rule({ at: 'now' }), -1)).toThrow('invalid slot number -1')
  })
})
