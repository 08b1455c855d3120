import { describe, expect, it } from '@jest/globals'
import { Backoff, retryWithBackoff } from './backoff.js'

describe('Backoff', () => {
  it('doubles from the first delay up to the cap, and starts over after reset', () => {
    const backoff = new Backoff({ firstMs: 250, maxMs: 1000 })
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([250, 500, 1000, 1000])
    backoff.reset()
    expect(backoff.next()).toBe(250)
  })

  it('with jitter, picks each delay in the upper half of its step', () => {
    const backoff = new Backoff({ firstMs: 100, maxMs: 400, jitter: true })
    for (const step of [100, 200, 400, 400]) {
      const delay = backoff.next()
      expect(delay).toBeGreaterThanOrEqual(step / 2)
      expect(delay).toBeLessThanOrEqual(step)
    }
  })
})

describe('retryWithBackoff', () => {
  const failing = (failures: number, error: Error) => {
    let calls = 0
    return { fn: async () => (++calls <= failures ? Promise.reject(error) : calls), calls: () => calls }
  }

  it('tries again after each retryable error, telling onRetry the growing waits, until it succeeds', async () => {
    const { fn, calls } = failing(3, new Error('down'))
    const waits: number[] = []
    const result = await retryWithBackoff(fn, { firstMs: 1, maxMs: 2, retryIf: () => true, onRetry: (_, ms) => waits.push(ms) })
    expect(result).toBe(4)
    expect(calls()).toBe(4)
    expect(waits).toEqual([1, 2, 2])
  })

  it('throws at once an error retryIf refuses', async () => {
    const refused = new Error('bad values')
    const { fn, calls } = failing(5, refused)
    await expect(retryWithBackoff(fn, { firstMs: 1, maxMs: 1, retryIf: (err) => err !== refused })).rejects.toBe(refused)
    expect(calls()).toBe(1)
  })

  it('gives up with the last error after the given number of attempts', async () => {
    const { fn, calls } = failing(10, new Error('deadlock'))
    await expect(retryWithBackoff(fn, { firstMs: 1, maxMs: 1, attempts: 3, retryIf: () => true })).rejects.toThrow('deadlock')
    expect(calls()).toBe(3)
  })
})
