import { migrate } from '../migrate/migrator.js'
import { queryContext, type QueryContext } from '../db/query-context.js'
import type { TestDatabase } from './test-database.js'

/** The current test's own pq schema (see useSchemaPerTest). */
export interface TestSchema {
  /** Its name: pass it as `schema` to a Queue or Worker, as PQ_SCHEMA to a bin. */
  readonly name: string
  /** A query context on the file's pool, in this schema. */
  readonly ctx: QueryContext
}

/**
 * Migrates a fresh schema (`<prefix>_1`, `<prefix>_2`, ...) on the file's database before each test,
 * for tests whose code reads whole tables (a worker of every queue, pq-admin, pq-stats, spawned bins):
 * each sees only its own rows, with no test deleting another's. A migration takes tens of ms.
 */
export function useSchemaPerTest(db: TestDatabase, prefix = 'test'): TestSchema {
  let name = ''
  let made = 0
  beforeEach(async () => {
    name = `${prefix}_${++made}`
    await migrate(db.pool, { schema: name })
  })
  return {
    get name() {
      if (!name) throw new Error('the test schema is ready in tests and hooks after beforeEach')
      return name
    },
    get ctx() {
      return queryContext(db.pool, this.name)
    },
  }
}
