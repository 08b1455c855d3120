import { describe, expect, it } from '@jest/globals'
import pg from 'pg'
import { Queue } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'

const db = useTestDatabase()

describe('importing @pq/core', () => {
  it("leaves the host application's pg type parsers alone (int8 stays a string)", async () => {
    // A Queue has been built and has queried: whatever pq sets up is in place by now.
    const queue = new Queue('default', { connection: db.url })
    expect(await queue.count()).toBe(0)
    await queue.close()
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      const { rows } = await client.query<{ n: unknown }>('select 1::int8 as n')
      expect(rows[0]!.n).toBe('1')
      expect(pg.types.getTypeParser(20)('7')).toBe('7')
    } finally {
      await client.end()
    }
  })
})
