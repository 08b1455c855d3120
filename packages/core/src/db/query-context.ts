import { createHash } from 'node:crypto'
import { Kysely, PostgresDialect, type RawBuilder } from 'kysely'
import pg from 'pg'
import type { Database } from './tables.js'
import { readEnv } from '../config/env.js'

/** Runs a named (prepared) statement on pg directly. */
type PreparedRunner = (config: { name: string; text: string; values: unknown[] }) => Promise<{ rows: unknown[] }>

/** What every query function takes: the Kysely instance to run on, and pq's schema. */
export interface QueryContext {
  readonly db: Kysely<Database>
  readonly schema: string
  /**
   * Present when the executor is a pg Pool or Client: hot-path statements run through it as named
   * statements, which each connection parses and plans once. Absent for a Kysely executor.
   */
  readonly prepared?: PreparedRunner
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
export async function runSql<R>(q: QueryContext, query: RawBuilder<R>): Promise<R[]> {
  if (!q.prepared || !preparedStatements) return (await query.execute(q.db)).rows
  const compiled = query.compile(q.db)
  try {
    const { rows } = await q.prepared({ name: statementName(compiled.sql), text: compiled.sql, values: [...compiled.parameters] })
    return rows as R[]
  } catch (err) {
    if ((err as { code?: string }).code !== CACHED_PLAN_CHANGED) throw err
    // The schema changed under the prepared plans: prepare every statement afresh, under new names.
    generation++
    statementNames.clear()
    const { rows } = await q.prepared({ name: statementName(compiled.sql), text: compiled.sql, values: [...compiled.parameters] })
    return rows as R[]
  }
}

/**
 * Where a write may run: a pg `Pool`, a pg `Client`/`PoolClient` (typically inside the caller's
 * BEGIN), or a Kysely instance or `Transaction`. pq never issues BEGIN or COMMIT on a caller's
 * connection: the caller's transaction decides.
 */
export type Executor = pg.Pool | pg.Client | pg.PoolClient | Kysely<any> // eslint-disable-line @typescript-eslint/no-explicit-any

const isKysely = (x: unknown): x is Kysely<any> => // eslint-disable-line @typescript-eslint/no-explicit-any
  typeof x === 'object' && x !== null && typeof (x as Kysely<unknown>).withoutPlugins === 'function' && typeof (x as Kysely<unknown>).selectFrom === 'function'

const isPool = (x: unknown): x is pg.Pool =>
  typeof x === 'object' && x !== null && 'totalCount' in x && 'idleCount' in x

const isClient = (x: unknown): x is pg.Client =>
  typeof x === 'object' && x !== null && typeof (x as pg.Client).query === 'function' && !isPool(x)

const wrappedClients = new WeakMap<object, Kysely<Database>>()
const wrappedPools = new WeakMap<object, Kysely<Database>>()

/**
 * A Kysely over one checked-out client, never released by us: Kysely sees a pool of one whose
 * `release` is a no-op, so every statement runs on the caller's connection (and transaction).
 */
function kyselyOverClient(client: pg.Client | pg.PoolClient): Kysely<Database> {
  let db = wrappedClients.get(client)
  if (!db) {
    const lease = { query: client.query.bind(client), release: () => {} }
    const pool = { connect: async () => lease, end: async () => {} }
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }) })
    wrappedClients.set(client, db)
  }
  return db
}

/** A Kysely over a pg Pool, cached per pool. */
export function kyselyOverPool(pool: pg.Pool): Kysely<Database> {
  let db = wrappedPools.get(pool)
  if (!db) {
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    wrappedPools.set(pool, db)
  }
  return db
}

/**
 * Normalises any executor into a QueryContext, once, at the API boundary. A caller's Kysely loses its
 * plugins here, so a CamelCasePlugin of theirs cannot rename pq's columns.
 */
export function queryContext(executor: Executor, schema: string): QueryContext {
  if (isKysely(executor)) return { db: executor.withoutPlugins() as Kysely<Database>, schema }
  if (isPool(executor)) return { db: kyselyOverPool(executor), schema, prepared: (config) => executor.query(config) }
  if (isClient(executor)) return { db: kyselyOverClient(executor), schema, prepared: (config) => executor.query(config) }
  throw new TypeError('expected a pg Pool, a pg Client/PoolClient, or a Kysely instance or transaction')
}
