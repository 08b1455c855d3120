/**
 * The setup the worker's in-process tests share: a Queue and a Worker factory on the file's test
 * database, and an `afterEach` that stops every worker the test made (the jest environment fails a
 * test that leaves one running).
 */
import { afterEach } from '@jest/globals'
import { Queue } from '@pq/core'
import { FIXTURES_PATH, type TestDatabase } from '@pq/core/testing'
import { Worker, type WorkerOptions } from '../index.js'
import type { StopMode } from '../worker.js'

/** Registers the cleanup and returns the factories; `stop` is how each test's workers are stopped. */
export function useTestWorkers(
  db: TestDatabase,
  stop: StopMode = 'graceful',
): {
  queue: (name: string) => Queue
  worker: (options?: WorkerOptions) => Worker
} {
  const workers: Worker[] = []
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop(stop)))
  })
  return {
    queue: (name) => new Queue(name, { connection: db.url }),
    worker: (options = {}) => {
      const w = new Worker({ connection: db.url, path: FIXTURES_PATH, migrate: false, heartbeatTimeout: 5, ...options })
      workers.push(w)
      return w
    },
  }
}
