import { describe, expect, it } from '@jest/globals'
import { InvalidSchedule } from '../errors.js'
import { parseBetween, windowOf } from './window.js'

describe('parseBetween', () => {
  it.each([
    ['2:00/18:30', '02:00/18:30'],
    ['2.00-18.30', '02:00/18:30'],
    ['2-18:30', '02:00/18:30'],
    [' 02:00 - 18:30 ', '02:00/18:30'],
    ['0-24', '00:00/24:00'],
    ['22:00/02:00', '22:00/02:00'],
    ['9/9', '09:00/09:00'],
  ])('reads %j as %j', (input, normalised) => {
    expect(parseBetween(input)).toBe(normalised)
  })

  it.each([
    ['', 'invalid between "": use H:MM/H:MM'],
    ['abc', 'invalid between "abc": use H:MM/H:MM'],
    ['2:00', 'invalid between "2:00": use H:MM/H:MM'],
    ['2:5/3:00', 'invalid between "2:5/3:00": use H:MM/H:MM'],
    ['25:00/3:00', 'invalid between "25:00/3:00": hour 25 is past 24; use H:MM/H:MM'],
    ['2:60/3:00', 'invalid between "2:60/3:00": minute 60 is past 59; use H:MM/H:MM'],
    ['1/24:30', 'invalid between "1/24:30": 24:30 is past the end of the day; use'],
    ['24/2', 'invalid between "24/2": a window cannot open at 24:00 (use 0:00); use'],
  ])('refuses %j with a message naming it', (input, message) => {
    expect(() => parseBetween(input)).toThrow(InvalidSchedule)
    expect(() => parseBetween(input)).toThrow(message)
  })

  it('refuses a value that is not a string', () => {
    expect(() => parseBetween(7)).toThrow('invalid between 7: use H:MM/H:MM')
  })
})

describe('windowOf', () => {
  it('gives the minutes of a window, crossing midnight when it opens after it closes', () => {
    expect(windowOf('02:00/18:30')).toEqual({ open: 120, close: 1110 })
    expect(windowOf('22:00/02:00')).toEqual({ open: 1320, close: 120 })
  })

  it('gives null for windows that span the whole day, which move nothing', () => {
    expect(windowOf('00:00/24:00')).toBeNull()
    expect(windowOf('00:00/23:59')).toBeNull()
    expect(windowOf('22:00/21:59')).toBeNull()
  })
})
