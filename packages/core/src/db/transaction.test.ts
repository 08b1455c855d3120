import { describe, expect, it } from '@jest/globals'
import { useTestDatabase } from '@pq/core/testing'
import pg from 'pg'
import { inTransaction } from './transaction.js'

const db = useTestDatabase()

describe('inTransaction', () => {
  it('commits what fn wrote when it resolves, and returns its result', async () => {
    await db.pool.query('create table tx_commit (n int)')
    const result = await inTransaction(db.pool, async (client) => {
      await client.query('insert into tx_commit values (1)')
      return 'done'
    })
    expect(result).toBe('done')
    expect((await db.pool.query('select n from tx_commit')).rows).toEqual([{ n: 1 }])
  })

  it('rolls back and rethrows when fn throws, and gives the client back to the pool', async () => {
    await db.pool.query('create table tx_rollback (n int)')
    const idleBefore = db.pool.totalCount - db.pool.idleCount
    await expect(
      inTransaction(db.pool, async (client) => {
        await client.query('insert into tx_rollback values (1)')
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    expect((await db.pool.query('select n from tx_rollback')).rows).toEqual([])
    expect(db.pool.totalCount - db.pool.idleCount).toBe(idleBefore)
  })

  it('fails with the error when its connection is terminated while held, never as an uncaught error', async () => {
    // pg-pool drops its error listener from a client it lends: before, the terminated connection's
    // 'error' went uncaught (it stopped a worker firing schedules during a Postgres restart).
    const pool = new pg.Pool({ connectionString: db.url, max: 1 })
    try {
      const held = inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid')
        await db.pool.query('select pg_terminate_backend($1)', [rows[0]!.pid])
        await new Promise((resolve) => setTimeout(resolve, 300))
        await client.query('select 1')
      })
      await expect(held).rejects.toThrow(/terminat|Connection terminated|not queryable/i)
      // The broken client was dropped: the pool lends a working one.
      expect((await pool.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1)
    } finally {
      await pool.end()
    }
  })
})
