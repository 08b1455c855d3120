import pg from 'pg'
import { SchemaNotMigrated, SchemaTooNew } from '../errors.js'
import { schemaName } from '../db/schema-name.js'
import { acquirePool, type ConnectionOption } from '../db/pools.js'
import { isPgError, UNDEFINED_TABLE, INVALID_SCHEMA_NAME } from '../db/pg-errors.js'
import { inTransaction } from '../db/transaction.js'
import type { Migration } from './migration.js'
import { MIGRATIONS } from './migrations.generated.js'

/** First key of the migrator's advisory lock ('pq' in ASCII); the second is hashtext(schema). */
const MIGRATE_LOCK_KEY = 0x7071

/** Options of `migrate`. */
export interface MigrateOptions {
  /** Schema to migrate. @defaultValue 'pq' */
  schema?: string
  /** Migrations to apply; tests pass their own. @defaultValue the files in migrations/ */
  migrations?: readonly Migration[]
}

/** What `migrate` did. */
export interface MigrateResult {
  schema: string
  /** Versions applied by this call, in order (empty when the schema was up to date). */
  applied: number[]
  /** The schema's version afterwards. */
  version: number
}

/** The newest migration this build knows. */
export const LATEST_VERSION = MIGRATIONS.length

/**
 * Applies pending migrations to a schema, all or nothing, in one transaction. An advisory lock per
 * schema makes concurrent callers (ten workers starting at once) apply each file exactly once: the
 * later ones wait, then find nothing to do. A schema migrated by a newer pq is refused.
 *
 * @example await migrate(process.env.DATABASE_URL, { schema: 'pq' })
 */
export async function migrate(connection: ConnectionOption | undefined, options: MigrateOptions = {}): Promise<MigrateResult> {
  const schema = schemaName(options.schema)
  const migrations = options.migrations ?? MIGRATIONS
  const { pool, release } = acquirePool(connection, undefined)
  try {
    return await inTransaction(pool, (client) => migrateOn(client, schema, migrations))
  } finally {
    await release()
  }
}

async function migrateOn(client: pg.PoolClient, schema: string, migrations: readonly Migration[]): Promise<MigrateResult> {
  await client.query('select pg_advisory_xact_lock($1, hashtext($2))', [MIGRATE_LOCK_KEY, schema])
  await client.query(`create schema if not exists ${pg.escapeIdentifier(schema)}`)
  await client.query(`set local search_path to ${pg.escapeIdentifier(schema)}`)
  await client.query(`create table if not exists migration (
    version integer primary key, name text not null, applied_at timestamptz not null default now())`)
  const { rows } = await client.query<{ version: number | null }>('select max(version) as version from migration')
  const current = rows[0]?.version ?? 0
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version
  if (current > latest) throw new SchemaTooNew(schema, current, latest)
  const applied: number[] = []
  for (const m of migrations) {
    if (m.version <= current) continue
    await client.query(m.sql)
    await client.query('insert into migration (version, name) values ($1, $2)', [m.version, m.name])
    applied.push(m.version)
  }
  return { schema, applied, version: Math.max(current, latest) }
}

/** Reads a schema's migration version: 0 when the schema or its ledger does not exist. */
export async function schemaVersion(pool: pg.Pool, schema: string): Promise<number> {
  try {
    const { rows } = await pool.query<{ version: number | null }>(
      `select max(version) as version from ${pg.escapeIdentifier(schema)}.migration`,
    )
    return rows[0]?.version ?? 0
  } catch (err) {
    if (isPgError(err, UNDEFINED_TABLE) || isPgError(err, INVALID_SCHEMA_NAME)) return 0
    throw err
  }
}

/**
 * Refuses to go on when the schema is behind this build (name pq-migrate) or ahead of it (upgrade pq).
 * `pq-worker --no-migrate` and library callers that do not migrate use this.
 */
export async function checkSchema(pool: pg.Pool, schema: string, latest = LATEST_VERSION): Promise<void> {
  const version = await schemaVersion(pool, schema)
  if (version > latest) throw new SchemaTooNew(schema, version, latest)
  if (version < latest) throw new SchemaNotMigrated(schema, version, latest)
}
