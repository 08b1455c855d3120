import { describe, expect, it } from '@jest/globals'
import { DateTime } from 'luxon'
import { Queue } from '../queue/queue.js'
import { useTestDatabase } from '../testing/index.js'

const db = useTestDatabase()

describe('a bulk enqueue without dependencies', () => {
  it("stores each job's own options, whether the batch shares a value or not, and returns the rows as stored", async () => {
    const q = new Queue('bulk-mixed', { connection: db.url })
    const at = DateTime.utc().plus({ hours: 1 }).startOf('second')
    const jobs = await q.enqueueMany([
      { func: 'fixtures.add', args: [1, 2], timeout: 5, meta: { a: 1 }, at, retry: { max: 2, intervals: [3, 4] } },
      { func: 'fixtures.sayHello', args: ['x'], timeout: 5, atFront: true, ttl: 60, description: 'second' },
      { func: 'fixtures.add', args: [3, 4], timeout: 5, at, priority: 2, kwargs: { k: true } },
    ])
    const stored = await Promise.all(jobs.map((j) => q.fetchJob(j.id)))
    const view = (j: (typeof jobs)[number]) => ({
      func: j.func,
      args: j.args,
      kwargs: j.kwargs,
      meta: j.meta,
      timeout: j.timeout,
      status: j.status,
      priority: j.priority,
      scheduledFor: j.scheduledFor?.toISO() ?? null,
      ttl: j.ttl,
      description: j.description,
      retry: j.retry,
      discardAt: j.discardAt !== null,
    })
    expect(jobs.map(view)).toEqual(stored.map((j) => view(j!)))
    // What the insert decided comes back as stored, though the statement returns the insert time once.
    const decided = (j: (typeof jobs)[number]) => ({
      createdAt: j.createdAt.toISO(),
      enqueuedAt: j.enqueuedAt?.toISO() ?? null,
      discardAt: j.discardAt?.toISO() ?? null,
      endedAt: j.endedAt?.toISO() ?? null,
      excInfo: j.excInfo,
    })
    expect(jobs.map(decided)).toEqual(stored.map((j) => decided(j!)))
    expect(jobs.map((j) => j.enqueuedAt === null)).toEqual([true, false, true])
    expect(jobs.map(view)).toEqual([
      {
        func: 'fixtures.add',
        args: [1, 2],
        kwargs: {},
        meta: { a: 1 },
        timeout: 5,
        status: 'scheduled',
        priority: 0,
        scheduledFor: at.toISO(),
        ttl: null,
        description: null,
        retry: { max: 2, intervals: [3, 4] },
        discardAt: false,
      },
      {
        func: 'fixtures.sayHello',
        args: ['x'],
        kwargs: {},
        meta: {},
        timeout: 5,
        status: 'queued',
        priority: 0,
        scheduledFor: null,
        ttl: 60,
        description: 'second',
        retry: { max: 0, intervals: [] },
        discardAt: true,
      },
      {
        func: 'fixtures.add',
        args: [3, 4],
        kwargs: { k: true },
        meta: {},
        timeout: 5,
        status: 'scheduled',
        priority: 2,
        scheduledFor: at.toISO(),
        ttl: null,
        description: null,
        retry: { max: 0, intervals: [] },
        discardAt: false,
      },
    ])
    await q.close()
  })
})
