import { describe, expect, it } from '@jest/globals'
import { newJobId } from './job-id.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('newJobId', () => {
  it('makes version 7 UUIDs whose prefix is the time, in creation order, all different', () => {
    const before = Date.now()
    // Enough ids to refill the random pool several times and to share milliseconds.
    const ids = Array.from({ length: 5000 }, () => newJobId())
    const after = Date.now()
    for (const id of ids) expect(id).toMatch(UUID_V7)
    const ms = parseInt(ids[0]!.replace('-', '').slice(0, 12), 16)
    expect(ms).toBeGreaterThanOrEqual(before)
    expect(ms).toBeLessThanOrEqual(after + 1)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    // The random part varies: the 62 random bits are not stuck (each variant digit turns up).
    expect(new Set(ids.map((id) => id[19])).size).toBe(4)
  })
})
