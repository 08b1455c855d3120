import { describe, expect, it } from '@jest/globals'
import { relativeTime } from './relative-time.js'

describe('relativeTime', () => {
  const now = new Date('2030-01-01T12:00:00Z')
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000)

  it.each([
    [-4, '4 sec. ago'],
    [-600, '10 min. ago'],
    [-7200, '2 hr. ago'],
    [-3 * 86400, '3 days ago'],
    [90 * 60, 'in 1 hr.'],
  ])('says %d s from now is %s', (seconds, words) => {
    expect(relativeTime(at(seconds), now)).toBe(words)
  })
})
