import pg from 'pg'
import type { LimitChildConfig, TaskPayload } from '../child/protocol.js'
import { redactUrl } from '../harness/redact-url.js'
import { BULK_CHUNK, chunks, type BenchBackend } from './backend.js'
import { limitCountStored, limitInsert, limitMigrate, limitTruncate } from './limit-queries.js'
import { PostgresNotReachable } from './pq.js'

/**
 * The minimal SQL claim loop (limit-queries.ts) as a series: the producer holds one connection and
 * inserts with a NOTIFY in the same statement; worker processes claim 500 at a time and delete what
 * ran in batches. A job is finished when it ran and its row is gone.
 */
export class LimitBackend implements BenchBackend {
  readonly kind = 'limit'
  readonly key = 'limit'
  readonly label = 'limit'
  readonly enqueueEachInTransaction = null
  readonly postgres: { readonly databaseUrl: string; readonly schema: string }
  readonly #client: pg.Client

  private constructor(databaseUrl: string, schema: string, client: pg.Client) {
    this.postgres = { databaseUrl, schema }
    this.#client = client
  }

  static async open(options: { databaseUrl: string; schema: string }): Promise<LimitBackend> {
    const client = new pg.Client({ connectionString: options.databaseUrl })
    client.on('error', () => {}) // a dropped connection fails its next query, which reports it
    try {
      await client.connect()
    } catch (err) {
      throw new PostgresNotReachable(redactUrl(options.databaseUrl), err instanceof Error ? err.message : String(err))
    }
    try {
      await limitMigrate(client, options.schema)
      return new LimitBackend(options.databaseUrl, options.schema, client)
    } catch (err) {
      await client.end()
      throw err
    }
  }

  async reset(): Promise<void> {
    await limitTruncate(this.#client, this.postgres.schema)
  }

  async enqueueOne(payload: TaskPayload): Promise<string> {
    const [id] = await limitInsert(this.#client, this.postgres.schema, [payload])
    return id!
  }

  async enqueueBulk(payloads: readonly TaskPayload[], onProgress?: (done: number) => void): Promise<string[]> {
    const ids: string[] = []
    for (const chunk of chunks(payloads, BULK_CHUNK)) {
      ids.push(...await limitInsert(this.#client, this.postgres.schema, chunk))
      onProgress?.(ids.length)
    }
    return ids
  }

  async countFinished(ids: readonly string[]): Promise<number> {
    return ids.length - await this.countStored(ids)
  }

  async countStored(ids: readonly string[]): Promise<number> {
    return limitCountStored(this.#client, this.postgres.schema, ids)
  }

  childConfig(): LimitChildConfig {
    return { backend: 'limit', ...this.postgres }
  }

  async serverVersion(): Promise<string> {
    return 'limit: a minimal SQL claim loop'
  }

  async close(): Promise<void> {
    await this.#client.end()
  }
}
