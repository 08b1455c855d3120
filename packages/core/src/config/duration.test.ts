import { describe, expect, it } from '@jest/globals'
import { InvalidDuration } from '../errors.js'
import { parseInterval } from '../schedule/interval.js'
import { toSeconds, unitFormSeconds } from './duration.js'

describe('unitFormSeconds', () => {
  it.each([
    ['90', 90],
    ['15s', 15],
    ['30m', 1800],
    ['30M', 1800],
    [' 1.5h ', 5400],
    ['2d', 172_800],
    ['-1', -1],
  ])('reads %j as %d seconds', (text, seconds) => {
    expect(unitFormSeconds(text)).toBe(seconds)
  })

  it.each(['h12', '10k', '1w', '', '1 h 2'])('reads %j as nothing', (text) => {
    expect(unitFormSeconds(text)).toBeNull()
  })

  it('is the one reader behind duration options and schedule intervals', () => {
    expect(toSeconds('timeout', '2h')).toBe(7200)
    expect(parseInterval('2h')).toBe('PT2H')
    expect(() => toSeconds('timeout', '1w')).toThrow(InvalidDuration)
  })
})
