import type pg from 'pg'
import { holdClient } from './held-client.js'

/**
 * Runs `fn` in a transaction of pq's own on a client checked out of `pool`: BEGIN, COMMIT when `fn`
 * resolves, ROLLBACK when it throws, and the client back to the pool either way. pq's one way to
 * open a transaction; it never runs on a caller's connection (their transaction decides there).
 * @internal
 */
export async function inTransaction<T>(pool: { connect(): Promise<pg.PoolClient> }, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  const held = holdClient(client)
  try {
    return await inClientTransaction(client, fn)
  } finally {
    held.release()
  }
}

/**
 * BEGIN, `fn`, then COMMIT, or ROLLBACK when it throws, on a client pq has checked out itself and
 * keeps afterwards (a waiter's LISTEN connection); never a caller's. inTransaction is this on a
 * client of its own. @internal
 */
export async function inClientTransaction<C extends pg.ClientBase, T>(client: C, fn: (client: C) => Promise<T>): Promise<T> {
  await client.query('begin')
  try {
    const result = await fn(client)
    await client.query('commit')
    return result
  } catch (err) {
    // The error that made us roll back is the one to report; a failed rollback adds nothing.
    await client.query('rollback').catch(() => {})
    throw err
  }
}
