import { describe, expect, it } from '@jest/globals'
import { InvalidSchedule } from '../errors.js'
import { parseWeekdays, weekdayNames } from './weekdays.js'

describe('parseWeekdays', () => {
  it('reads numbers as django-pq counts them, Monday first, sorted and without repeats', () => {
    expect(parseWeekdays([4, 0, 2, 0])).toEqual([0, 2, 4])
  })

  it('reads two-letter names in any case, and numeric strings', () => {
    expect(parseWeekdays(['mo', 'We', 'SU'])).toEqual([0, 2, 6])
    expect(parseWeekdays(['1', 'TH'])).toEqual([1, 3])
  })

  it.each([
    [[7], 'invalid weekdays [7]: 7 is not a weekday number; use 0 (Monday) to 6 (Sunday)'],
    [[-1], 'invalid weekdays [-1]: -1 is not a weekday number'],
    [[1.5], 'invalid weekdays [1.5]: 1.5 is not a weekday number'],
    [['XX'], 'invalid weekdays ["XX"]: "XX" is not a weekday; use 0 (Monday) to 6 (Sunday) or MO TU WE TH FR SA SU'],
    [[], 'invalid weekdays []: the list is empty, so no day could run'],
    ['MO', 'invalid weekdays "MO": expected a list'],
  ])('refuses %j, naming the bad value', (input, message) => {
    expect(() => parseWeekdays(input)).toThrow(InvalidSchedule)
    expect(() => parseWeekdays(input)).toThrow(message)
  })
})

describe('weekdayNames', () => {
  it('names day numbers', () => {
    expect(weekdayNames([0, 1, 6])).toBe('MO,TU,SU')
  })
})
