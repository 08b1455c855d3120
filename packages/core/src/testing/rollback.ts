import type pg from 'pg'
import { queryContext, type QueryContext } from '../db/query-context.js'

/** One connection inside BEGIN: pass `client` as a Queue's connection, `ctx` to query functions. */
export interface RollbackTransaction {
  readonly client: pg.PoolClient
  readonly ctx: QueryContext
}

/**
 * Runs `fn` inside a transaction that is always rolled back, so the rows a test writes are never
 * seen by another test (River's and graphile-worker's query tier). Not for anything that listens:
 * NOTIFY is delivered only on commit.
 */
export async function withRollback<T>(pool: pg.Pool, fn: (tx: RollbackTransaction) => Promise<T>, schema = 'pq'): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('begin')
    return await fn({ client, ctx: queryContext(client, schema) })
  } finally {
    await client.query('rollback').catch(() => {}) // a broken connection rolled back already
    client.release()
  }
}
