import { describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { Queue, migrate, closePools } from '@pq/core'
import { startEmbeddedPostgres, FIXTURES_PATH } from '@pq/core/testing'

describe('the embedded default', () => {
  it('starts a real Postgres with Node alone, runs pq on it, and removes it afterwards', async () => {
    const pg = await startEmbeddedPostgres()
    try {
      expect(pg.url).toMatch(/^postgres:\/\/postgres:pq@127\.0\.0\.1:\d+\/postgres$/)
      await migrate(pg.url, { schema: 'pq' })
      const queue = new Queue('default', { connection: pg.url, isAsync: false, path: FIXTURES_PATH })
      expect((await queue.enqueue('fixtures.add', 20, 22)).result).toBe(42)
      await queue.close()
      await closePools()
    } finally {
      await pg.stop()
    }
    expect(existsSync(pg.dataDir)).toBe(false)
  }, 60_000)
})
