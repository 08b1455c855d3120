import { createHash } from 'node:crypto'
import { CompiledQuery, Kysely, PostgresDialect, type RawBuilder } from 'kysely'
import type { DateTime } from 'luxon'
import pg from 'pg'
import type { Database } from './tables.js'
import { readEnv } from '../config/env.js'
import { SchemaNotMigrated } from '../errors.js'
import { isPgError, UNDEFINED_TABLE, INVALID_SCHEMA_NAME } from './pg-errors.js'
import { LATEST_VERSION, schemaVersion } from '../migrate/migrator.js'
import { holdClient } from './held-client.js'

/** Runs a named (prepared) statement on pg directly. */
type PreparedRunner = (config: {
  name: string
  text: string
  values: unknown[]
  types?: pg.CustomTypesConfig
}) => Promise<{ rows: unknown[] }>

/** What every query function takes: the Kysely instance to run on, and pq's schema. */
export interface QueryContext {
  readonly db: Kysely<Database>
  readonly schema: string
  /**
   * Present when the executor is a pg Pool or Client: hot-path statements run through it as named
   * statements, which each connection parses and plans once. Absent for a Kysely executor.
   */
  readonly prepared?: PreparedRunner
  /**
   * Present when the executor is a pg Pool: where pq may open a transaction of its own (inTransaction).
   * Absent for a client or a Kysely, whose connection (and transaction) is the caller's.
   */
  readonly pool?: pg.Pool
}

/**
 * Named prepared statements live on one server connection; a transaction-mode pooler (PgBouncer)
 * hands each transaction another one, where the name is unknown or taken. PQ_PREPARED=0 (or
 * `setPreparedStatements(false)`) sends every statement unnamed instead.
 */
let preparedStatements = !/^(0|false|off|no)$/i.test(readEnv(process.env).prepared ?? '')

/**
 * Turns named prepared statements on or off for this process (default on, or off with PQ_PREPARED=0):
 * off to run behind PgBouncer in transaction mode. Set it before the first query.
 */
export function setPreparedStatements(enabled: boolean): void {
  preparedStatements = enabled
}

const statementNames = new Map<string, string>()
let generation = 0

/** A stable statement name for a text: pg refuses one name for two texts, so the name is its hash. */
function statementName(text: string): string {
  let name = statementNames.get(text)
  if (!name) {
    name = `pq_${createHash('sha1').update(text).digest('hex').slice(0, 20)}_${generation}`
    statementNames.set(text, name)
  }
  return name
}

/** SQLSTATE 0A000: a prepared `returning *` whose table gained a column (a migration ran meanwhile). */
const CACHED_PLAN_CHANGED = '0A000'

/**
 * Runs a statement built with Kysely's `sql` tag: as a named prepared statement when the context
 * allows it (saving the planner's half millisecond on every enqueue, claim and completion), else
 * through Kysely. The text must not embed per-call values (they are parameters), so a handful of
 * names covers every call.
 */
export async function runSql<R>(q: QueryContext, query: RawBuilder<R>, types?: pg.CustomTypesConfig): Promise<R[]> {
  if (!q.prepared || !preparedStatements) {
    try {
      return (await query.execute(q.db)).rows
    } catch (err) {
      throw await missingSchema(err, q.schema, null)
    }
  }
  const compiled = query.compile(q.db)
  return runNamed<R>(q.prepared, compiled.sql, [...compiled.parameters], () => statementName(compiled.sql), types)
}

/** Runs a text as a named statement; on CACHED_PLAN_CHANGED, once more under a name of the new generation. */
async function runNamed<R>(
  prepared: PreparedRunner,
  text: string,
  values: unknown[],
  name: () => string,
  types: pg.CustomTypesConfig | undefined,
): Promise<R[]> {
  try {
    return (await prepared({ name: name(), text, values, types })).rows as R[]
  } catch (err) {
    if ((err as { code?: string }).code !== CACHED_PLAN_CHANGED) throw err
    // The schema changed under the prepared plans: prepare every statement afresh, under new names.
    generation++
    statementNames.clear()
    return (await prepared({ name: name(), text, values, types })).rows as R[]
  }
}

/** Stands, in a statement compiled once (`compileOnce`), for the per-call value of that name. */
class Slot {
  constructor(readonly key: string) {}
}

/** A per-call value of a statement built for `compileOnce`: `values[key]` of each `runCompiled`. */
export const slot = (key: string): unknown => new Slot(key)

/** A statement compiled once: its text, its parameters (constants, or slots filled per call), its name. */
export interface CompiledStatement<R> {
  readonly text: string
  readonly parameters: readonly unknown[]
  /** The statement name, valid while `generation` is the current one. */
  name: string
  generation: number
  readonly rowType?: R
}

const compiledStatements = new Map<string, CompiledStatement<unknown>>()

/**
 * The statement `build()` makes, compiled the first time `key` is asked for: the hot statements skip
 * Kysely's build and compile, and the name's hash, on every call (half the JavaScript cost of an
 * enqueue). `key` must name all the text depends on (schema, shape); per-call values are `slot`s.
 */
export function compileOnce<R>(q: QueryContext, key: string, build: () => RawBuilder<R>): CompiledStatement<R> {
  let statement = compiledStatements.get(key)
  if (!statement) {
    const compiled = build().compile(q.db)
    statement = { text: compiled.sql, parameters: compiled.parameters, name: '', generation: -1 }
    compiledStatements.set(key, statement)
  }
  return statement as CompiledStatement<R>
}

/** Runs a `compileOnce` statement with this call's values, as `runSql` runs a built one. */
export async function runCompiled<R>(
  q: QueryContext,
  statement: CompiledStatement<R>,
  values: Readonly<Record<string, unknown>>,
  types?: pg.CustomTypesConfig,
): Promise<R[]> {
  const parameters = statement.parameters.map((p) => (p instanceof Slot ? values[p.key] : p))
  if (!q.prepared || !preparedStatements) {
    try {
      return (await q.db.executeQuery<R>(CompiledQuery.raw(statement.text, parameters))).rows
    } catch (err) {
      throw await missingSchema(err, q.schema, null)
    }
  }
  return runNamed<R>(
    q.prepared,
    statement.text,
    parameters,
    () => {
      if (statement.generation !== generation) {
        statement.name = statementName(statement.text)
        statement.generation = generation
      }
      return statement.name
    },
    types,
  )
}

/**
 * The query boundary's translation of "no such table / schema" (42P01, 3F000) into SchemaNotMigrated,
 * naming the schema's migration version when a pool can read it; any other error is returned as is.
 */
async function missingSchema(err: unknown, schema: string, pool: pg.Pool | null): Promise<unknown> {
  if (err instanceof SchemaNotMigrated || !(isPgError(err, UNDEFINED_TABLE) || isPgError(err, INVALID_SCHEMA_NAME))) return err
  const version = pool ? await schemaVersion(pool, schema).catch(() => null) : null
  return new SchemaNotMigrated(schema, version, LATEST_VERSION, { cause: err })
}

/** A pg query method whose "no such table" errors become SchemaNotMigrated. */
function translatingQuery<Q extends (...args: never[]) => Promise<unknown>>(query: Q, schema: string, pool: pg.Pool | null): Q {
  return (async (...args: Parameters<Q>) => {
    try {
      return await query(...args)
    } catch (err) {
      throw await missingSchema(err, schema, pool)
    }
  }) as Q
}

/**
 * Where a write may run: a pg `Pool`, a pg `Client`/`PoolClient` (typically inside the caller's
 * BEGIN), or a Kysely instance or `Transaction`. pq never issues BEGIN or COMMIT on a caller's
 * connection: the caller's transaction decides.
 */
export type Executor = pg.Pool | pg.Client | pg.PoolClient | Kysely<any> // eslint-disable-line @typescript-eslint/no-explicit-any -- the caller's Kysely, of any database type

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Executor
const isKysely = (x: unknown): x is Kysely<any> =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as Kysely<unknown>).withoutPlugins === 'function' &&
  typeof (x as Kysely<unknown>).selectFrom === 'function'

const isPool = (x: unknown): x is pg.Pool => typeof x === 'object' && x !== null && 'totalCount' in x && 'idleCount' in x

const isClient = (x: unknown): x is pg.Client =>
  typeof x === 'object' && x !== null && typeof (x as pg.Client).query === 'function' && !isPool(x)

// Cached per executor and schema: the schema is what a "no such table" error is reported against.
const wrappedClients = new WeakMap<object, Map<string, Kysely<Database>>>()
const wrappedPools = new WeakMap<object, Map<string, Kysely<Database>>>()

function cached(
  cache: WeakMap<object, Map<string, Kysely<Database>>>,
  key: object,
  schema: string,
  make: () => Kysely<Database>,
): Kysely<Database> {
  let bySchema = cache.get(key)
  if (!bySchema) cache.set(key, (bySchema = new Map<string, Kysely<Database>>()))
  let db = bySchema.get(schema)
  if (!db) bySchema.set(schema, (db = make()))
  return db
}

/**
 * A Kysely over one checked-out client, never released by us: Kysely sees a pool of one whose
 * `release` is a no-op, so every statement runs on the caller's connection (and transaction).
 */
function kyselyOverClient(client: pg.Client | pg.PoolClient, schema: string): Kysely<Database> {
  return cached(wrappedClients, client, schema, () => {
    const lease = {
      query: translatingQuery(client.query.bind(client) as (...args: unknown[]) => Promise<unknown>, schema, null),
      release: () => {},
    }
    const pool = { connect: async () => lease, end: async () => {} }
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }) })
  })
}

/** A Kysely over a pg Pool, cached per pool and schema; its "no such table" errors become SchemaNotMigrated. */
export function kyselyOverPool(pool: pg.Pool, schema = 'pq'): Kysely<Database> {
  return cached(wrappedPools, pool, schema, () => {
    const leasing = {
      connect: async () => {
        const client = await pool.connect()
        const held = holdClient(client)
        return {
          query: translatingQuery(client.query.bind(client) as (...args: unknown[]) => Promise<unknown>, schema, pool),
          release: () => held.release(),
        }
      },
      end: async () => {},
    }
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool: leasing as unknown as pg.Pool }) })
  })
}

/**
 * Normalises any executor into a QueryContext, once, at the API boundary. A caller's Kysely loses its
 * plugins here, so a CamelCasePlugin of theirs cannot rename pq's columns.
 */
export function queryContext(executor: Executor, schema: string): QueryContext {
  if (isKysely(executor)) return { db: executor.withoutPlugins() as Kysely<Database>, schema }
  if (isPool(executor))
    return {
      db: kyselyOverPool(executor, schema),
      schema,
      prepared: translatingQuery<PreparedRunner>((config) => executor.query(config), schema, executor),
      pool: executor,
    }
  if (isClient(executor))
    return {
      db: kyselyOverClient(executor, schema),
      schema,
      prepared: translatingQuery<PreparedRunner>((config) => executor.query(config), schema, null),
    }
  throw new TypeError('expected a pg Pool, a pg Client/PoolClient, or a Kysely instance or transaction')
}

/** A luxon time as a query parameter; null stands for "the database's now()" where statements coalesce it. */
export const timestampOrNull = (d: DateTime | null | undefined): Date | null => (d ? d.toJSDate() : null)
