import { redactConnectionString } from '@pq/core/internal'
import pg from 'pg'
import type { GraphileChildConfig, LimitChildConfig, PqChildConfig, RedisChildConfig, TaskPayload } from '../child/protocol.js'
import type { BackendKind } from '../options.js'

/** Jobs per bulk enqueue call: one round trip each, for both backends. */
export const BULK_CHUNK = 1000

/**
 * One measured series: a queue as the producer sees it (enqueue, count, clean) plus what a worker
 * process needs to consume from it. Implemented for pq and for BullMQ; a pq schema prefilled with
 * finished jobs is a second pq series.
 */
export interface BenchBackend {
  readonly kind: BackendKind
  /** Series key in reports: 'pq', 'redis', 'graphile', 'limit', 'pq-prefilled'. */
  readonly key: string
  /** Column title: 'pq', 'Redis', 'graphile-worker', 'limit', 'pq + 1M done'. */
  readonly label: string
  /** Empties the bench's queue and its history, so every run starts alike. */
  reset(): Promise<void>
  /** Enqueues one job in one call; resolves with its id. */
  enqueueOne(payload: TaskPayload): Promise<string>
  /** Enqueues many jobs, BULK_CHUNK per call; resolves with their ids in order. */
  enqueueBulk(payloads: readonly TaskPayload[], onProgress?: (done: number) => void): Promise<string[]>
  /**
   * Enqueues each job in its own caller-owned transaction (BEGIN; enqueue; COMMIT), as an app
   * enqueueing beside its own writes does; null where the backend has no transactions.
   */
  readonly enqueueEachInTransaction: ((payloads: readonly TaskPayload[], onProgress?: (done: number) => void) => Promise<string[]>) | null
  /** How many of `ids` the backend itself records as finished. */
  countFinished(ids: readonly string[]): Promise<number>
  /** How many of `ids` the backend stores, in any state. */
  countStored(ids: readonly string[]): Promise<number>
  /** What a worker process needs to consume this series' queue. */
  childConfig(): PqChildConfig | RedisChildConfig | GraphileChildConfig | LimitChildConfig
  /** Where a Postgres-backed series keeps its tables (the write-cost scenario reads their statistics); null for Redis. */
  readonly postgres: { readonly databaseUrl: string; readonly schema: string } | null
  /** The server's version, for the report. */
  serverVersion(): Promise<string>
  close(): Promise<void>
}

/** Splits `items` into consecutive chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Postgres could not be reached: one line naming where and how to point elsewhere. */
export class PostgresNotReachable extends Error {
  readonly code = 'POSTGRES_NOT_REACHABLE'
  constructor(where: string, reason: string) {
    super(`cannot connect to Postgres at ${where} (${reason}); set DATABASE_URL, or unset it to use embedded Postgres`)
    this.name = 'PostgresNotReachable'
  }
}

/**
 * Opens a Postgres-backed series' own admin connection (housekeeping: reset, counts) and sets the
 * series up on it; a connection refused becomes PostgresNotReachable, and the connection is closed
 * again when `setUp` throws.
 */
export async function connectAdmin<T>(databaseUrl: string, setUp: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: databaseUrl })
  admin.on('error', () => {}) // a dropped admin connection fails its next query, which reports it
  try {
    await admin.connect()
  } catch (err) {
    throw new PostgresNotReachable(redactConnectionString(databaseUrl), err instanceof Error ? err.message : String(err))
  }
  try {
    return await setUp(admin)
  } catch (err) {
    await admin.end()
    throw err
  }
}
