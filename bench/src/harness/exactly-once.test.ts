import { describe, expect, it } from '@jest/globals'
import { checkExactlyOnce, describeViolation } from './exactly-once.js'

describe('checkExactlyOnce', () => {
  it('passes when every enqueued job ran once, in any order and across processes', () => {
    const report = checkExactlyOnce(['a', 'b', 'c'], ['c', 'a', 'b'])
    expect(report).toMatchObject({ ok: true, expected: 3, ran: 3, lost: [], duplicated: [], unexpected: [] })
  })

  it('names lost, duplicated and unexpected jobs', () => {
    const report = checkExactlyOnce(['a', 'b', 'c', 'd'], ['a', 'a', 'c', 'z'])
    expect(report).toMatchObject({ ok: false, lost: ['b', 'd'], duplicated: ['a'], unexpected: ['z'] })
    expect(describeViolation(report)).toBe('2 lost (b, d), 1 ran more than once (a), 1 unexpected (z) of 4 jobs enqueued; 4 runs recorded')
  })

  it('fails when the backend handed out one id for two enqueues', () => {
    expect(checkExactlyOnce(['a', 'a'], ['a', 'a'])).toMatchObject({ ok: false, unexpected: ['a'] })
  })
})
