import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { queryContext, type QueryContext } from '../db/query-context.js'
import { closePools } from '../db/pools.js'

const TEST_DATABASE = Symbol.for('pq.testing.database')

/** A test file's own database, cloned from the migrated template. */
export interface TestDatabase {
  /** Its connection string (pass it to Queue, Worker, and spawned bins as DATABASE_URL). */
  readonly url: string
  /** A pool on it, ended after the file. */
  readonly pool: pg.Pool
  /** A query context on the pool, schema 'pq'. */
  readonly ctx: QueryContext
  /** The schema the template was migrated into. */
  readonly schema: string
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/**
 * Gives the calling test file its own database (pq_test_<random>), created from the template in
 * beforeAll and dropped in afterAll (jest's globals: this module imports nothing from jest, so the demo
 * and the bench can import @pq/core/testing), so jest workers never share rows. Read its fields inside tests
 * or hooks, not at module load.
 */
export function useTestDatabase(): TestDatabase {
  const server = process.env.PQ_TEST_SERVER_URL
  const template = process.env.PQ_TEST_TEMPLATE
  if (!server || !template) throw new Error('useTestDatabase needs the jest global setup (packages/core/src/testing/global-setup.ts)')
  const name = `pq_test_${randomBytes(6).toString('hex')}`
  const url = withDatabase(server, name)
  let pool: pg.Pool | undefined
  const handle: TestDatabase = {
    url,
    schema: 'pq',
    get pool() {
      if (!pool) throw new Error('the test database is ready in tests and hooks, not at module load')
      return pool
    },
    get ctx() {
      return queryContext(handle.pool, 'pq')
    },
  }
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: server })
    await admin.connect()
    try {
      await admin.query(`create database ${name} template ${template}`)
    } finally {
      await admin.end()
    }
    pool = new pg.Pool({ connectionString: url, max: 10 })
    pool.on('error', () => {})
    // pq's jest environment looks for a stopped worker's LISTEN connection left open on it.
    ;(globalThis as Record<symbol, unknown>)[TEST_DATABASE] = name
  })
  afterAll(async () => {
    delete (globalThis as Record<symbol, unknown>)[TEST_DATABASE]
    await pool?.end()
    await closePools()
    const admin = new pg.Client({ connectionString: server })
    await admin.connect()
    try {
      await admin.query(`drop database if exists ${name} with (force)`)
    } finally {
      await admin.end()
    }
  })
  return handle
}
