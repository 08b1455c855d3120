import { describe, expect, it } from '@jest/globals'
import { useTestDatabase } from '@pq/core/testing'
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
})
