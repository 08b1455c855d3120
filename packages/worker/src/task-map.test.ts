import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue, InvalidOption } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'
import { Worker, type WorkerOptions } from '@pq/worker'

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
})

afterAll(() => rmSync(empty, { recursive: true, force: true }))

describe('a worker given its tasks as a map', () => {
  it('runs jobs by their RQ-style names with no task files on disk', async () => {
    const sent: string[] = []
    const send = async (to: string) => {
      sent.push(to)
      return `sent to ${to}`
    }
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

  it('fails an isolated job whose task is only in the map, saying why', async () => {
    const queue = new Queue('mail-isolated', { connection: db.url })
    const job = await queue.enqueueCall({ func: 'emails.send', args: ['ada@example.com'], isolate: true })
    await worker({ queues: ['mail-isolated'], tasks: { 'emails.send': (to: string) => `sent to ${to}` } }).work()
    await job.refresh()
    await queue.close()
    // Before, the thread looked for emails.send on disk and said only that no such module exists.
    expect(job.status).toBe('failed')
    expect(job.excInfo).toMatch(
      /unknown function "emails.send": it is in the worker's tasks map, which isolated jobs cannot use .*: run it without isolate/,
    )
  })

  it('refuses a bad map before any I/O, in one line', () => {
    expect(() => new Worker({ tasks: { nodot: () => 1 } })).toThrow(InvalidOption)
    expect(() => new Worker({ tasks: { 'a.b': 42 as unknown as () => number } })).toThrow(
      'task "a.b" is a number, not a function; map each name to its function',
    )
    // Isolated threads load tasks from files: before, the map was silently unseen there and each job
    // failed as an unknown function.
    expect(() => new Worker({ tasks: { 'a.b': () => 1 }, isolate: true })).toThrow(
      /^a tasks map cannot be used with isolate: .*drop isolate, or put the tasks in modules/,
    )
    expect(() => new Worker({ tasks: {}, isolate: true })).not.toThrow()
  })
})
