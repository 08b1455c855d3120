import { describe, expect, it } from '@jest/globals'
import pg from 'pg'
import { migrate, checkSchema, SchemaTooNew, SchemaNotMigrated, LATEST_VERSION, InvalidOption } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'
import type { Migration } from '@pq/core/internal'

const db = useTestDatabase()
const tables = async (schema: string) =>
  (await db.pool.query(`select table_name from information_schema.tables where table_schema = $1 order by 1`, [schema])).rows.map(
    (r) => r.table_name as string,
  )

describe('migrate', () => {
  it('creates a fresh schema, then finds nothing to do on a rerun', async () => {
    const first = await migrate(db.pool, { schema: 'fresh' })
    expect(first).toEqual({ schema: 'fresh', applied: Array.from({ length: LATEST_VERSION }, (_, i) => i + 1), version: LATEST_VERSION })
    expect(await tables('fresh')).toEqual(
      expect.arrayContaining(['flow', 'job', 'job_dependency', 'migration', 'queue', 'schedule', 'worker']),
    )
    expect(await migrate(db.pool, { schema: 'fresh' })).toEqual({ schema: 'fresh', applied: [], version: LATEST_VERSION })
  })

  it('applies each file exactly once when ten migrators race', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 12 })
    try {
      const results = await Promise.all(Array.from({ length: 10 }, () => migrate(pool, { schema: 'raced' })))
      const applied = results.flatMap((r) => r.applied)
      expect(applied.sort()).toEqual(Array.from({ length: LATEST_VERSION }, (_, i) => i + 1))
      const ledger = await db.pool.query('select version from raced.migration order by version')
      expect(ledger.rows.map((r) => r.version)).toEqual(Array.from({ length: LATEST_VERSION }, (_, i) => i + 1))
    } finally {
      await pool.end()
    }
  })

  it('refuses a schema migrated by a newer pq, naming both versions', async () => {
    await migrate(db.pool, { schema: 'future' })
    await db.pool.query(`insert into future.migration (version, name) values (${LATEST_VERSION + 1}, 'from_the_future')`)
    const err = await migrate(db.pool, { schema: 'future' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SchemaTooNew)
    expect((err as Error).message).toBe(
      `schema "future" is at migration ${LATEST_VERSION + 1} but this pq knows only up to ${LATEST_VERSION}; upgrade pq on this machine`,
    )
    await expect(checkSchema(db.pool, 'future')).rejects.toThrow(SchemaTooNew)
  })

  it('keeps applications apart: a job in one schema is invisible in another', async () => {
    await migrate(db.pool, { schema: 'app_one' })
    await migrate(db.pool, { schema: 'app_two' })
    const { Queue } = await import('@pq/core')
    await new Queue('default', { connection: db.pool, schema: 'app_one' }).enqueue('tasks.a')
    expect(await new Queue('default', { connection: db.pool, schema: 'app_two' }).count()).toBe(0)
    expect(await new Queue('default', { connection: db.pool, schema: 'app_one' }).count()).toBe(1)
  })

  it('rolls back everything when a file fails, and applies a later fix', async () => {
    const good: Migration = { version: 1, name: 'one', sql: 'create table one (id int)' }
    const bad: Migration = { version: 2, name: 'two', sql: 'create table two (id int); select no_such_function()' }
    await expect(migrate(db.pool, { schema: 'partial', migrations: [good, bad] })).rejects.toThrow(/no_such_function/)
    expect(await tables('partial')).not.toContain('one')
    const fixed: Migration = { version: 2, name: 'two', sql: 'create table two (id int)' }
    expect((await migrate(db.pool, { schema: 'partial', migrations: [good, fixed] })).applied).toEqual([1, 2])
  })

  it('reports a schema that is behind, for workers started with --no-migrate', async () => {
    await expect(checkSchema(db.pool, 'never_migrated')).rejects.toThrow(SchemaNotMigrated)
    await expect(checkSchema(db.pool, 'never_migrated')).rejects.toThrow(
      /^schema "never_migrated" has no pq tables; run pq-migrate --schema never_migrated/,
    )
    await expect(checkSchema(db.pool, 'pq', LATEST_VERSION + 2)).rejects.toThrow(
      `schema "pq" is at migration ${LATEST_VERSION} of ${LATEST_VERSION + 2}; run pq-migrate --schema pq`,
    )
    await expect(checkSchema(db.pool, 'pq')).resolves.toBeUndefined()
  })

  it('refuses a bad schema name before connecting', async () => {
    await expect(migrate('postgres://nowhere.invalid/x', { schema: 'Bad-Name' })).rejects.toThrow(InvalidOption)
  })
})
