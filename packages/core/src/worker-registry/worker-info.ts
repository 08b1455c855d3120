import { DateTime } from 'luxon'
import type { WorkerRow } from '../db/tables.js'
import { acquirePool, type ConnectionOption } from '../db/pools.js'
import { queryContext } from '../db/query-context.js'
import { schemaName } from '../db/schema-name.js'
import { readEnv } from '../config/env.js'
import { workerList, DEFAULT_LIVE_SECONDS } from './worker-queries.js'

/** A registered worker, as other processes see it. */
export interface WorkerInfo {
  name: string
  host: string
  pid: number
  /** The queues it serves; empty means every queue. */
  queues: string[]
  state: string
  concurrency: number
  birthAt: DateTime
  heartbeatAt: DateTime
  successfulCount: number
  failedCount: number
  workingSeconds: number
  stopRequested: boolean
  listenMode: string
}

/** Maps a worker row to WorkerInfo. */
export function workerInfoFromRow(row: WorkerRow): WorkerInfo {
  return {
    name: row.name,
    host: row.host,
    pid: row.pid,
    queues: row.queues,
    state: row.state,
    concurrency: row.concurrency,
    birthAt: DateTime.fromJSDate(row.birth_at).toUTC(),
    heartbeatAt: DateTime.fromJSDate(row.heartbeat_at).toUTC(),
    successfulCount: Number(row.successful_count),
    failedCount: Number(row.failed_count),
    workingSeconds: row.working_seconds,
    stopRequested: row.stop_requested,
    listenMode: row.listen_mode,
  }
}

/** Where to look for workers. */
export interface WorkersOptions {
  /** @defaultValue DATABASE_URL, else libpq's PG* variables */
  connection?: ConnectionOption
  /** @defaultValue PQ_SCHEMA, else 'pq' */
  schema?: string
  /**
   * Seconds since its last heartbeat after which a worker counts as dead (killed without a word) and
   * is left out. A running worker heartbeats at least every 15 s. @defaultValue 60
   */
  liveSeconds?: number
}

/**
 * Reads the live workers. `Workers.forQueue('emails')` tells an application (or a health check)
 * whether anything serves a queue.
 */
export const Workers = {
  /** Every live worker (heard from within `liveSeconds`), by name. */
  async all(options: WorkersOptions = {}): Promise<WorkerInfo[]> {
    const env = readEnv(process.env)
    const { pool, release } = acquirePool(options.connection, env.databaseUrl)
    try {
      const ctx = queryContext(pool, schemaName(options.schema ?? env.schema))
      const rows = await workerList(ctx, { liveSeconds: options.liveSeconds ?? DEFAULT_LIVE_SECONDS, onlyLive: true })
      return rows.map(workerInfoFromRow)
    } finally {
      await release()
    }
  },
  /** Live workers that serve `queue` (listing it, or serving every queue). */
  async forQueue(queue: string, options: WorkersOptions = {}): Promise<WorkerInfo[]> {
    return (await Workers.all(options)).filter((w) => w.queues.length === 0 || w.queues.includes(queue))
  },
}
