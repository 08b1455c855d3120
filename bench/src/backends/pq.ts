import { Queue, migrate } from '@pq/core'
import pg from 'pg'
import type { PqChildConfig, TaskPayload } from '../child/protocol.js'
import { BULK_CHUNK, chunks, connectAdmin, type BenchBackend } from './backend.js'

/** The task both backends run, as pq names it: export `run` of tasks/noop.ts. */
export const PQ_TASK = 'noop.run'
const PREFILL_BATCH = 100_000

/** Options of one pq series. */
export interface PqBackendOptions {
  readonly databaseUrl: string
  readonly schema: string
  readonly queue: string
  /** The tasks root worker processes load 'noop.run' from. */
  readonly tasksPath: string
  /** Finished jobs kept in the table throughout (inserted once, reused while the count matches). */
  readonly prefill: number
  readonly key: string
  readonly label: string
  readonly onPrefillProgress?: (done: number, total: number) => void
}

/**
 * pq through its public API (Queue, migrate, Worker in the worker processes). The bench's own SQL is
 * housekeeping only: emptying its schema between runs, prefilling history, counting for the checks.
 */
export class PqBackend implements BenchBackend {
  readonly kind = 'pq'
  readonly key: string
  readonly label: string
  readonly #options: PqBackendOptions
  readonly #admin: pg.Client
  readonly #queue: Queue
  readonly #job: string
  readonly postgres: { readonly databaseUrl: string; readonly schema: string }

  private constructor(options: PqBackendOptions, admin: pg.Client) {
    this.#options = options
    this.key = options.key
    this.label = options.label
    this.#admin = admin
    this.#job = `${admin.escapeIdentifier(options.schema)}.job`
    this.postgres = { databaseUrl: options.databaseUrl, schema: options.schema }
    this.#queue = new Queue(options.queue, { connection: options.databaseUrl, schema: options.schema })
  }

  /** Connects, migrates the schema, prefills it when asked; throws PostgresNotReachable. */
  static async open(options: PqBackendOptions): Promise<PqBackend> {
    return connectAdmin(options.databaseUrl, async (admin) => {
      await migrate(options.databaseUrl, { schema: options.schema })
      const backend = new PqBackend(options, admin)
      await backend.#prefill()
      return backend
    })
  }

  /**
   * A clean schema is truncated: each run starts on an empty, freshly built table, as BullMQ's starts
   * on an obliterated queue. A prefilled one keeps its history and loses only the bench's own jobs,
   * then is vacuumed so dead rows of earlier runs don't weigh on later ones.
   */
  async reset(): Promise<void> {
    const schema = this.#admin.escapeIdentifier(this.#options.schema)
    if (this.#options.prefill === 0) {
      await this.#admin.query(`truncate ${schema}.job, ${schema}.job_dependency, ${schema}.worker cascade`)
      return
    }
    await this.#admin.query(`delete from ${this.#job} where id not like 'prefill-%'`)
    await this.#admin.query(`delete from ${schema}.worker`)
    await this.#admin.query(`vacuum analyze ${this.#job}`)
  }

  async enqueueOne(payload: TaskPayload): Promise<string> {
    return (await this.#queue.enqueue(PQ_TASK, payload)).id
  }

  async enqueueBulk(payloads: readonly TaskPayload[], onProgress?: (done: number) => void): Promise<string[]> {
    const ids: string[] = []
    for (const chunk of chunks(payloads, BULK_CHUNK)) {
      const jobs = await this.#queue.enqueueMany(chunk.map((payload) => ({ func: PQ_TASK, args: [payload] })))
      for (const job of jobs) ids.push(job.id)
      onProgress?.(ids.length)
    }
    return ids
  }

  readonly enqueueEachInTransaction = async (payloads: readonly TaskPayload[], onProgress?: (done: number) => void): Promise<string[]> => {
    const client = new pg.Client({ connectionString: this.#options.databaseUrl })
    await client.connect()
    try {
      const inside = this.#queue.using(client)
      const ids: string[] = []
      for (const payload of payloads) {
        await client.query('begin')
        ids.push((await inside.enqueue(PQ_TASK, payload)).id)
        await client.query('commit')
        if (ids.length % 256 === 0) onProgress?.(ids.length)
      }
      return ids
    } finally {
      await client.end()
    }
  }

  async countFinished(ids: readonly string[]): Promise<number> {
    const { rows } = await this.#admin.query<{ n: number }>(
      `select count(*)::int as n from ${this.#job} where id = any($1::text[]) and status = 'finished'`,
      [ids],
    )
    return rows[0]?.n ?? 0
  }

  async countStored(ids: readonly string[]): Promise<number> {
    const { rows } = await this.#admin.query<{ n: number }>(`select count(*)::int as n from ${this.#job} where id = any($1::text[])`, [ids])
    return rows[0]?.n ?? 0
  }

  childConfig(): PqChildConfig {
    const { databaseUrl, schema, queue, tasksPath } = this.#options
    return { backend: 'pq', databaseUrl, schema, queue, tasksPath }
  }

  async serverVersion(): Promise<string> {
    const { rows } = await this.#admin.query<{ server_version: string }>('show server_version')
    return `PostgreSQL ${rows[0]?.server_version ?? 'unknown'}`
  }

  async close(): Promise<void> {
    await this.#queue.close()
    await this.#admin.end()
  }

  /**
   * Inserts `prefill` finished jobs of the bench's queue, in batches, unless exactly that many are
   * there from an earlier invocation. They never expire (expires_at null), so the TTL sweep leaves
   * them in place while the workers run. Plain SQL: a million enqueues would only be slower.
   */
  async #prefill(): Promise<void> {
    const total = this.#options.prefill
    if (total === 0) return
    const { rows } = await this.#admin.query<{ n: number }>(`select count(*)::int as n from ${this.#job} where id like 'prefill-%'`)
    if (rows[0]?.n === total) return
    await this.#admin.query(`delete from ${this.#job} where id like 'prefill-%'`)
    for (let from = 1; from <= total; from += PREFILL_BATCH) {
      const to = Math.min(total, from + PREFILL_BATCH - 1)
      await this.#admin.query(
        `
        insert into ${this.#job} (id, queue, func, args, status, position, created_at, enqueued_at, started_at, ended_at, result)
        select 'prefill-' || g, $1, $2, '[{"sleepMs":0}]', 'finished', g,
          now() - interval '1 day', now() - interval '1 day', now() - interval '1 day', now() - interval '1 day', 'null'::jsonb
        from generate_series($3::bigint, $4::bigint) g`,
        [this.#options.queue, PQ_TASK, from, to],
      )
      this.#options.onPrefillProgress?.(to, total)
    }
    await this.#admin.query(`vacuum analyze ${this.#job}`)
  }
}
