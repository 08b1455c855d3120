import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue, InvalidOption } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'
import { Worker, type WorkerOptions } from '@pq/worker'
import { reapLeftovers } from './testing/worker-process.js'

const db = useTestDatabase()
const workers: Worker[] = []
// A tasks root with no files at all: as a bundled application has.
const empty = mkdtempSync(join(tmpdir(), 'pq-no-tasks-'))
const worker = (options: WorkerOptions) => {
  const w = new Worker({ connection: db.url, path: empty, migrate: false, burst: true, ...options })
  workers.push(w)
  return w
}

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('now')))
  expect(await reapLeftovers(db.pool)).toEqual([])
})

afterAll(() => rmSync(empty, { recursive: true, force: true }))

describe('a worker given its tasks as a map', () => {
  it('runs jobs by their RQ-style names with no task files on disk', async () => {
    const sent: string[] = []
    const send = async (to: string) => { sent.push(to); return `sent to ${to}` }
    const queue = new Queue('mail', { connection: db.url })
    const job = await queue.enqueue('emails.send', 'ada@example.com')
    const missing = await queue.enqueue('emails.sned', 'bob@example.com')
    await worker({ queues: ['mail'], tasks: { 'emails.send': send } }).work()
    await job.refresh()
    await missing.refresh()
    await queue.close()
    expect([job.status, job.result]).toEqual(['finished', 'sent to ada@example.com'])
    expect(sent).toEqual(['ada@example.com'])
    expect(missing.status).toBe('failed')
    expect(missing.excInfo).toMatch(/unknown function "emails.sned": .* and no task "emails.sned" in the tasks map \(it has emails.send\)/)
  })

  it('refuses a bad map before any I/O, in one line', () => {
    expect(() => new Worker({ tasks: { nodot: () => 1 } })).toThrow(InvalidOption)
    expect(() => new Worker({ tasks: { 'a.b': 42 as unknown as () => number } })).toThrow('task "a.b" is a number, not a function; map each name to its function')
  })
})
