import { Queue } from 'bullmq'
import type { RedisChildConfig, TaskPayload } from '../child/protocol.js'
import { BULK_CHUNK, chunks, type BenchBackend } from './backend.js'
import { probeRedis } from './redis-probe.js'

export { probeRedis, RedisNotRunning } from './redis-probe.js'

/** BullMQ's version, pinned in bench/package.json. */
export const BULLMQ_VERSION = '6.7.0'

/** Seconds BullMQ keeps completed jobs: pq's default result TTL, so both keep the same history. */
export const KEEP_COMPLETED_SECONDS = 500
const KEEP_FAILED_SECONDS = 365 * 24 * 3600

/** BullMQ on Redis: the producer's Queue, and what its worker processes need. */
export class RedisBackend implements BenchBackend {
  readonly kind = 'redis'
  readonly key = 'redis'
  readonly label = 'Redis'
  readonly enqueueEachInTransaction = null
  readonly postgres = null
  readonly #queue: Queue<TaskPayload>
  readonly #version: string

  private constructor(
    private readonly url: string,
    private readonly prefix: string,
    private readonly queueName: string,
    version: string,
  ) {
    this.#version = version
    this.#queue = new Queue<TaskPayload>(queueName, {
      connection: { url },
      prefix,
      defaultJobOptions: { removeOnComplete: { age: KEEP_COMPLETED_SECONDS }, removeOnFail: { age: KEEP_FAILED_SECONDS } },
    })
  }

  /** Checks Redis is there (RedisNotRunning otherwise) and opens the producer's queue. */
  static async open(options: { url: string; prefix: string; queue: string }): Promise<RedisBackend> {
    const version = await probeRedis(options.url)
    const backend = new RedisBackend(options.url, options.prefix, options.queue, version)
    await backend.#queue.waitUntilReady()
    return backend
  }

  async reset(): Promise<void> {
    await this.#queue.obliterate({ force: true })
  }

  async enqueueOne(payload: TaskPayload): Promise<string> {
    const job = await this.#queue.add('noop', payload)
    return String(job.id)
  }

  async enqueueBulk(payloads: readonly TaskPayload[], onProgress?: (done: number) => void): Promise<string[]> {
    const ids: string[] = []
    for (const chunk of chunks(payloads, BULK_CHUNK)) {
      const jobs = await this.#queue.addBulk(chunk.map((data) => ({ name: 'noop', data })))
      for (const job of jobs) ids.push(String(job.id))
      onProgress?.(ids.length)
    }
    return ids
  }

  // The queue is obliterated before every run, so its counts are this run's jobs.
  async countFinished(): Promise<number> {
    const counts = await this.#queue.getJobCounts('completed')
    return counts.completed ?? 0
  }

  async countStored(): Promise<number> {
    const counts = await this.#queue.getJobCounts()
    return Object.values(counts).reduce((sum, n) => sum + n, 0)
  }

  childConfig(): RedisChildConfig {
    return {
      backend: 'redis',
      redisUrl: this.url,
      prefix: this.prefix,
      queue: this.queueName,
      keepCompletedSeconds: KEEP_COMPLETED_SECONDS,
    }
  }

  async serverVersion(): Promise<string> {
    return `Redis ${this.#version}, BullMQ ${BULLMQ_VERSION}`
  }

  async close(): Promise<void> {
    await this.#queue.close()
  }
}
