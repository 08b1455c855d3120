import { describe, expect, it } from '@jest/globals'
import { Queue, job } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'

const db = useTestDatabase()

describe('job()', () => {
  it('keeps the function callable and enqueues typed calls with .delay, with its options', async () => {
    const queue = new Queue('decorated', { connection: db.pool })
    const add = job({ queue, func: 'fixtures.add', timeout: 30, resultTtl: 60 }, (a: number, b: number) => a + b)
    expect(add(1, 2)).toBe(3)
    expect(add.func).toBe('fixtures.add')
    const enqueued = await add.delay(4, 5)
    expect(enqueued).toMatchObject({
      func: 'fixtures.add',
      args: [4, 5],
      origin: 'decorated',
      timeout: 30,
      resultTtl: 60,
      status: 'queued',
    })
    // @ts-expect-error: .delay takes the function's own argument types
    const untyped = await add.delay('x', 5)
    // The check is the type checker's: a plain JavaScript caller's call is enqueued as given.
    expect(untyped).toMatchObject({ func: 'fixtures.add', args: ['x', 5], status: 'queued' })
  })
})
