import { describe, expect, it } from '@jest/globals'
import { DateTime } from 'luxon'
import { IntervalSlots } from './interval.js'
import { nextRun, resolveScheduleRule, runAt, type ScheduleRule, type ScheduleRuleInput, type ScheduleSlot } from './schedule-rules.js'

const utc = (text: string) => DateTime.fromISO(text, { zone: 'utc' })
const rule = (input: ScheduleRuleInput, now = utc('2029-12-01T00:00')): ScheduleRule => resolveScheduleRule(input, now)
const show = (slot: ScheduleSlot | null) => (slot ? { k: slot.k, at: slot.at.toUTC().toISO({ suppressMilliseconds: true }) } : null)
const slot = (k: number, at: string): ScheduleSlot => ({ k, at: utc(at) })

/** Fires every run exactly on time, as a worker that is never late would; returns the times fired. */
function fireAll(r: ScheduleRule, limit: number): string[] {
  const fired: string[] = []
  let next = nextRun(r, null, r.anchor)
  while (next && fired.length < limit) {
    fired.push(show(next)!.at!)
    next = nextRun(r, next, next.at, fired.length)
  }
  return fired
}

describe('nextRun for the first run', () => {
  it('gives slot 0 when it is still ahead', () => {
    expect(show(nextRun(rule({ at: '2030-01-01T09:00', interval: 'P1D', repeat: -1 }), null, utc('2029-12-31T00:00')))).toEqual({
      k: 0,
      at: '2030-01-01T09:00:00Z',
    })
  })

  it('gives slot 0 at once for at "now"', () => {
    const now = utc('2030-01-01T09:00:00.250')
    const next = nextRun(resolveScheduleRule({ at: 'now' }, now), null, now)
    expect(next?.at.toMillis()).toBe(now.toMillis())
  })

  it('skips the slots of a repeating rule that passed before it was created', () => {
    const r = rule({ at: '2030-01-01T09:00', interval: 3600, repeat: -1 })
    expect(show(nextRun(r, null, utc('2030-01-02T11:30')))).toEqual({ k: 27, at: '2030-01-02T12:00:00Z' })
    expect(show(nextRun(r, null, utc('2030-01-02T12:00')))).toEqual({ k: 27, at: '2030-01-02T12:00:00Z' })
  })

  it('runs a one-off whose time has passed at once, as RQ runs a job scheduled in the past', () => {
    expect(show(nextRun(rule({ at: '2030-01-01T09:00' }), null, utc('2030-01-05T00:00')))).toEqual({ k: 0, at: '2030-01-01T09:00:00Z' })
  })

  it('starts a counted rule created after its slots at its next slot: the count is of runs, not slots', () => {
    const counted = rule({ at: '2030-01-01T09:00', interval: 'P1D', repeat: 2 })
    expect(show(nextRun(counted, null, utc('2030-02-01T00:00')))).toEqual({ k: 31, at: '2030-02-01T09:00:00Z' })
  })

  it('runs the last slot of a rule created after its until, once', () => {
    const dated = rule({ at: '2030-01-01T09:00', interval: 'P1D', until: '2030-01-04T08:00' })
    expect(show(nextRun(dated, null, utc('2030-02-01T00:00')))).toEqual({ k: 2, at: '2030-01-03T09:00:00Z' })
  })

  it('gives null for a rule whose only run the window pushes past until', () => {
    expect(
      nextRun(rule({ at: '2030-01-01T20:00', interval: 60, until: '2030-01-01T23:00', between: '9-17' }), null, utc('2029-12-01T00:00')),
    ).toBeNull()
  })
})

describe('nextRun after a run fired', () => {
  const hourly = (input: Partial<ScheduleRuleInput> = {}) => rule({ at: '2030-01-01T00:00', interval: 3600, repeat: -1, ...input })

  it('gives exactly three runs for repeat 2, then null', () => {
    expect(fireAll(rule({ at: '2030-01-01T09:00', interval: 'P1D', repeat: 2 }), 10)).toEqual([
      '2030-01-01T09:00:00Z',
      '2030-01-02T09:00:00Z',
      '2030-01-03T09:00:00Z',
    ])
  })

  it('collapses the slots missed while no worker ran into one catch-up run, and does not count them', () => {
    // Slot 0 fired at 05:30 (five hours late): the next run is 06:00, on the grid, and repeat 2
    // still gives three runs in all: 00:00's catch-up, 06:00 and 07:00.
    const r = hourly({ repeat: 2 })
    const late = slot(0, '2030-01-01T00:00')
    expect(show(nextRun(hourly(), late, utc('2030-01-01T05:30'), 1))).toEqual({ k: 6, at: '2030-01-01T06:00:00Z' })
    const second = nextRun(r, late, utc('2030-01-01T05:30'), 1)
    expect(show(second)).toEqual({ k: 6, at: '2030-01-01T06:00:00Z' })
    const third = nextRun(r, second, second!.at, 2)
    expect(show(third)).toEqual({ k: 7, at: '2030-01-01T07:00:00Z' })
    expect(nextRun(r, third, third!.at, 3)).toBeNull()
  })

  it('asks how many runs fired when a count bounds the rule', () => {
    expect(() => nextRun(hourly({ repeat: 2 }), slot(0, '2030-01-01T00:00'), utc('2030-01-01T00:00'))).toThrow(/how many runs have fired/)
  })

  it('gives a slot strictly after now, so a run due this instant is the one being fired', () => {
    expect(show(nextRun(hourly(), slot(5, '2030-01-01T05:00'), utc('2030-01-01T06:00')))).toEqual({ k: 7, at: '2030-01-01T07:00:00Z' })
  })

  it('never fires one time twice when the window maps several slots onto it', () => {
    const r = rule({ at: '2030-01-01T16:00', interval: 3600, repeat: -1, between: '9-17:30' })
    expect(show(nextRun(r, slot(1, '2030-01-01T17:00'), utc('2030-01-01T17:00')))).toEqual({ k: 2, at: '2030-01-02T09:00:00Z' })
    expect(show(nextRun(r, slot(2, '2030-01-02T09:00'), utc('2030-01-02T09:00')))).toEqual({ k: 18, at: '2030-01-02T10:00:00Z' })
  })

  it('stops at until', () => {
    expect(nextRun(hourly({ until: '2030-01-01T05:00' }), slot(4, '2030-01-01T04:00'), utc('2030-01-01T04:00'))?.k).toBe(5)
    expect(nextRun(hourly({ until: '2030-01-01T05:00' }), slot(5, '2030-01-01T05:00'), utc('2030-01-01T05:00'))).toBeNull()
  })

  // The jumps below span hundreds of millions of slots: stepping slot by slot would not end within
  // the test's timeout, so finishing at all shows the jump (no clock is read).
  it('jumps straight over ten years of missed every-second slots', () => {
    const next = nextRun(
      rule({ at: '2030-01-01T00:00', interval: 1, repeat: -1 }),
      slot(0, '2030-01-01T00:00'),
      utc('2040-01-01T00:00:00.500'),
    )
    expect(show(next)).toEqual({ k: 3652 * 86400 + 1, at: '2040-01-01T00:00:01Z' })
  })

  it('jumps over ten years of every-second slots under a window and weekdays, to the first slot that lands after now', () => {
    const r = rule({ at: '2030-01-01T00:00', interval: 1, repeat: -1, between: '9-17', weekdays: [0, 1, 2, 3, 4] })
    // Saturday noon: Friday 17:01:00 is the first slot after Friday's window; it moves to Monday 09:00.
    const next = nextRun(r, slot(0, '2030-01-01T09:00'), utc('2040-02-04T12:00'))
    expect(show(next)).toEqual({ k: (3652 + 33) * 86400 + 17 * 3600 + 60, at: '2040-02-06T09:00:00Z' })
  })

  it('finds a slot the spring-forward gap pushed out of its window, a week before now', () => {
    // Slot 2562 is 03:26 EDT on Sunday 2031-03-09, just after a 1:30-2:30 window the gap cut short:
    // it moves to the next Sunday's 01:30, after now, so it is the first slot to run.
    const r = rule({ at: '2030-11-22T13:26Z', interval: 3600, repeat: -1, between: '1:30/2:30', weekdays: [6], tz: 'America/New_York' })
    expect(show(nextRun(r, null, utc('2031-03-15T05:57')))).toEqual({ k: 2562, at: '2031-03-16T05:30:00Z' })
  })

  it('steps over missed calendar slots from the anchor', () => {
    const r = rule({ at: '2030-02-01', interval: { months: 1, days: -1 }, repeat: -1 })
    expect(show(nextRun(r, slot(0, '2030-02-01'), utc('2031-07-15')))).toEqual({ k: 18, at: '2031-07-31T00:00:00Z' })
  })
})

describe('nextRun with a cron', () => {
  const hourly = (input: Partial<ScheduleRuleInput> = {}) => rule({ at: '2030-01-01T00:00', cron: '0 * * * *', ...input })

  it('skips missed cron times without counting them toward repeat', () => {
    const fired = slot(0, '2030-01-01T00:00')
    expect(show(nextRun(hourly({ repeat: 10 }), fired, utc('2030-01-01T05:30'), 1))).toEqual({ k: 6, at: '2030-01-01T06:00:00Z' })
    expect(show(nextRun(hourly({ repeat: 1 }), fired, utc('2030-01-01T05:30'), 1))).toEqual({ k: 6, at: '2030-01-01T06:00:00Z' })
    expect(nextRun(hourly({ repeat: 1 }), slot(6, '2030-01-01T06:00'), utc('2030-01-01T06:00'), 2)).toBeNull()
  })

  it('gives three runs for repeat 2, then null', () => {
    expect(fireAll(hourly({ repeat: 2 }), 10)).toEqual(['2030-01-01T00:00:00Z', '2030-01-01T01:00:00Z', '2030-01-01T02:00:00Z'])
  })

  it('starts at the first cron time at or after now when created late, or runs a passed one-off at once', () => {
    const daily = (input: Partial<ScheduleRuleInput>) => rule({ at: '2030-01-01', cron: '0 9 * * *', ...input })
    expect(show(nextRun(daily({}), null, utc('2030-01-05T10:00')))).toEqual({ k: 5, at: '2030-01-06T09:00:00Z' })
    expect(show(nextRun(daily({ repeat: 0 }), null, utc('2030-01-05T10:00')))).toEqual({ k: 0, at: '2030-01-01T09:00:00Z' })
    expect(show(nextRun(daily({ until: '2030-01-03T12:00' }), null, utc('2030-01-05T10:00')))).toEqual({ k: 2, at: '2030-01-03T09:00:00Z' })
  })

  it('numbers the slots exactly while stepping over missed cron times', () => {
    const r = rule({ at: '2030-01-01T00:00', cron: '* * * * * *', repeat: 20_000 })
    expect(show(nextRun(r, slot(0, '2030-01-01T00:00'), utc('2030-01-01T01:00:00.500'), 1))).toEqual({
      k: 3601,
      at: '2030-01-01T01:00:01Z',
    })
  })

  it('jumps over ten years of missed every-second times when no count bounds the rule', () => {
    const next = nextRun(rule({ at: '2030-01-01T00:00', cron: '* * * * * *' }), slot(0, '2030-01-01T00:00'), utc('2040-01-01T00:00:00.500'))
    expect(next?.at.toISO()).toBe('2040-01-01T00:00:01.000Z')
    expect(next?.k).toBeGreaterThan(0)
  })
})

/** A small seeded generator, so the cross-check below is the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * nextRun the slow way: every slot in turn. It starts ten days before the threshold, not at slot 0,
 * only to keep the test quick: a window and weekdays move a run by eight days at most.
 */
function bruteNext(r: ScheduleRule, after: ScheduleSlot | null, now: DateTime): ScheduleSlot | null {
  const threshold = after ? Math.max(after.at.toMillis(), now.toMillis()) : now.toMillis() - 1
  const kMin = after ? after.k + 1 : 0
  const slots = new IntervalSlots(r.anchor, r.interval, r.tz)
  for (let k = slots.firstAtOrAfter(DateTime.fromMillis(threshold).minus({ days: 10 }), kMin); ; k++) {
    const at = runAt(r, k)
    if (at && at.toMillis() > threshold) return { k, at }
  }
}

describe('nextRun against trying every slot', () => {
  const rules: [string, Partial<ScheduleRuleInput>, number][] = [
    ['17 minutes, a window and two weekdays', { interval: '17m', between: '9:00/17:30', weekdays: ['TU', 'TH'] }, 40],
    ['17 minutes, a window across midnight and Saturdays', { interval: '17m', between: '22:00/02:00', weekdays: ['SA'] }, 40],
    ['hourly on Mondays and Fridays', { interval: 3600, weekdays: [0, 4] }, 40],
    ['daily at 13:45 moved into 14-16 on Wednesdays', { interval: 'P1D', between: '14-16', weekdays: [2] }, 60],
    ['45 minutes into a short window', { interval: 'PT45M', between: '8:15-8:40' }, 40],
    ['monthly last day, moved to a Monday', { interval: { months: 1, days: -1 }, weekdays: [0] }, 1500],
    ['7 minutes with nothing moved', { interval: 420 }, 20],
    [
      'hourly into 1:30-2:30 on Sundays, in New York',
      { interval: 3600, between: '1:30/2:30', weekdays: ['SU'], tz: 'America/New_York' },
      40,
    ],
  ]

  it.each(rules)('agrees for %s, across the March DST change', (_, input, spanDays) => {
    const r = rule({ at: '2030-03-01T13:45', repeat: -1, tz: 'Europe/London', ...input })
    const next = random(spanDays)
    for (let i = 0; i < 40; i++) {
      const now = r.anchor.plus({ milliseconds: Math.floor(next() * spanDays * 86_400_000) })
      let after: ScheduleSlot | null = null
      if (i % 4 !== 0) {
        const passed = Math.max(0, new IntervalSlots(r.anchor, r.interval, r.tz).firstAtOrAfter(now, 0) - 1 - Math.floor(next() * 30))
        after = { k: passed, at: runAt(r, passed)! }
      }
      expect(show(nextRun(r, after, now))).toEqual(show(bruteNext(r, after, now)))
    }
  })
})
