import { describe, expect, it } from '@jest/globals'
import { Queue } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'

const db = useTestDatabase()

describe('producers of one queue', () => {
  it('never wait for each other: an open transaction that enqueued does not block another enqueue', async () => {
    const queue = new Queue('busy', { connection: db.pool })
    await queue.enqueue('fixtures.add')
    const client = await db.pool.connect()
    try {
      await client.query('begin')
      await queue.using(client).enqueue('fixtures.add', 1)
      // A second producer, on its own connection, while the first transaction stays open.
      await db.pool.query("set lock_timeout = '2s'")
      const other = await Promise.race([
        queue.enqueue('fixtures.add', 2).then(() => 'done'),
        new Promise((resolve) => setTimeout(() => resolve('blocked'), 3000)),
      ])
      expect(other).toBe('done')
      await client.query('commit')
    } finally {
      client.release()
    }
    expect(await queue.count()).toBe(3)
  })
})
