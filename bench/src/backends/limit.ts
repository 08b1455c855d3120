import pg from 'pg'
import type { LimitChildConfig, TaskPayload } from '../child/protocol.js'
import { BULK_CHUNK, chunks, connectAdmin, type BenchBackend } from './backend.js'
import { limitCountStored, limitInsert, limitMigrate, limitTruncate } from './limit-queries.js'

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
    return connectAdmin(options.databaseUrl, async (client) => {
      await limitMigrate(client, options.schema)
      return new LimitBackend(options.databaseUrl, options.schema, client)
    })
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
      ids.push(...(await limitInsert(this.#client, this.postgres.schema, chunk)))
      onProgress?.(ids.length)
    }
    return ids
  }

  async countFinished(ids: readonly string[]): Promise<number> {
    return ids.length - (await this.countStored(ids))
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
