import { Logger, makeWorkerUtils, type WorkerUtils } from 'graphile-worker'
import pg from 'pg'
import type { GraphileChildConfig, TaskPayload } from '../child/protocol.js'
import { BULK_CHUNK, chunks, connectAdmin, type BenchBackend } from './backend.js'

/** graphile-worker's version, pinned in bench/package.json: the newest that runs on Node 20 (0.18 wants Node 22). */
export const GRAPHILE_WORKER_VERSION = '0.17.3'

/** The task identifier both sides use. */
export const GRAPHILE_TASK = 'noop'

// Compared as strings: graphile-worker's LogLevel is a const enum, which SWC cannot import.
const SHOWN_LEVELS: readonly string[] = ['error', 'warning']

/** graphile-worker's own log lines, kept to warnings and errors: per-job info lines would cost it time. */
export const quietGraphileLogger = new Logger(() => (level, message) => {
  if (SHOWN_LEVELS.includes(level)) console.error(`graphile-worker ${level}: ${message}`)
})

/**
 * graphile-worker through its public API: `makeWorkerUtils` for the producer (addJob, addJobs,
 * migrate), `run` in the worker processes. It deletes a job when it completes, so "finished" is "ran
 * and is gone from its table"; a failed job stays there with its error.
 */
export class GraphileBackend implements BenchBackend {
  readonly kind = 'graphile'
  readonly key = 'graphile'
  readonly label = 'graphile-worker'
  readonly enqueueEachInTransaction = null
  readonly postgres: { readonly databaseUrl: string; readonly schema: string }
  readonly #admin: pg.Client
  readonly #utils: WorkerUtils
  readonly #schema: string

  private constructor(databaseUrl: string, schema: string, admin: pg.Client, utils: WorkerUtils) {
    this.postgres = { databaseUrl, schema }
    this.#admin = admin
    this.#utils = utils
    this.#schema = admin.escapeIdentifier(schema)
  }

  /** Connects and installs (or upgrades) graphile-worker's schema; throws PostgresNotReachable. */
  static async open(options: { databaseUrl: string; schema: string }): Promise<GraphileBackend> {
    return connectAdmin(options.databaseUrl, async (admin) => {
      const utils = await makeWorkerUtils({ connectionString: options.databaseUrl, schema: options.schema, logger: quietGraphileLogger })
      await utils.migrate()
      return new GraphileBackend(options.databaseUrl, options.schema, admin, utils)
    })
  }

  /** Empties the jobs and their queues; the task table is kept (its ids are cached by the producer). */
  async reset(): Promise<void> {
    await this.#admin.query(`truncate ${this.#schema}._private_jobs, ${this.#schema}._private_job_queues cascade`)
  }

  async enqueueOne(payload: TaskPayload): Promise<string> {
    return String((await this.#utils.addJob(GRAPHILE_TASK, payload)).id)
  }

  async enqueueBulk(payloads: readonly TaskPayload[], onProgress?: (done: number) => void): Promise<string[]> {
    const ids: string[] = []
    for (const chunk of chunks(payloads, BULK_CHUNK)) {
      const jobs = await this.#utils.addJobs(chunk.map((payload) => ({ identifier: GRAPHILE_TASK, payload })))
      for (const job of jobs) ids.push(String(job.id)) // its ids are bigints, not always handed back as strings
      onProgress?.(ids.length)
    }
    return ids
  }

  /** Completed jobs are deleted: of `ids`, those no longer in the table (none may have failed: the run checks). */
  async countFinished(ids: readonly string[]): Promise<number> {
    return ids.length - (await this.countStored(ids))
  }

  async countStored(ids: readonly string[]): Promise<number> {
    const { rows } = await this.#admin.query<{ n: number }>(
      `select count(*)::int as n from ${this.#schema}._private_jobs where id = any($1::bigint[])`,
      [ids],
    )
    return rows[0]?.n ?? 0
  }

  childConfig(): GraphileChildConfig {
    return { backend: 'graphile', ...this.postgres }
  }

  async serverVersion(): Promise<string> {
    return `graphile-worker ${GRAPHILE_WORKER_VERSION}`
  }

  async close(): Promise<void> {
    await this.#utils.release()
    await this.#admin.end()
  }
}
