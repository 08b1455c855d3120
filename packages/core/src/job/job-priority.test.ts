import { describe, expect, it } from '@jest/globals'
import { Queue } from '../queue/queue.js'
import { InvalidOption } from '../errors.js'
import { useTestDatabase } from '../testing/index.js'
import { migrate } from '../migrate/migrator.js'
import { queryContext } from '../db/query-context.js'
import { jobClaim, jobClaimFrom } from './job-claim.js'

const db = useTestDatabase()

describe('job priority', () => {
  it("orders a queue's jobs by priority (lower first), then atFront and enqueue order", async () => {
    const q = new Queue('prio', { connection: db.url })
    const [late, early] = await q.enqueueMany([
      { func: 'fixtures.add', args: [1], priority: 5 },
      { func: 'fixtures.add', args: [2] },
    ])
    const urgent = await q.enqueueCall({ func: 'fixtures.add', args: [3], priority: -1 })
    const front = await q.enqueueCall({ func: 'fixtures.add', args: [4], atFront: true })
    const last = await q.enqueueCall({ func: 'fixtures.add', args: [5] })
    expect([late!.priority, early!.priority, urgent.priority, front.priority]).toEqual([5, 0, -1, 0])
    const order = [urgent.id, front.id, early!.id, last.id, late!.id]
    expect(await q.jobIds()).toEqual(order)
    expect((await q.jobs()).map((j) => j.id)).toEqual(order)
    const claimed = await jobClaim(db.ctx, { queue: 'prio', limit: 3, worker: 'w' })
    expect(claimed.map((r) => r.id)).toEqual(order.slice(0, 3))
    expect((await jobClaimFrom(db.ctx, { queues: ['prio'], limit: 10, worker: 'w' })).map((r) => r.id)).toEqual(order.slice(3))
    expect((await q.fetchJob(late!.id))!.priority).toBe(5)
  })

  it("takes the queue's default priority, which a job's own overrides", async () => {
    const q = new Queue('prio-default', { connection: db.url, priority: 10 })
    const [plain, own] = await q.enqueueMany([
      { func: 'fixtures.add', args: [1] },
      { func: 'fixtures.add', args: [2], priority: 0 },
    ])
    expect([plain!.priority, own!.priority]).toEqual([10, 0])
    expect(await q.jobIds()).toEqual([own!.id, plain!.id])
  })

  it('orders the every-queue claim by priority across queues, then position', async () => {
    // A schema of the test's own: the every-queue claim then sees only this test's jobs.
    const schema = 'prio_any'
    await migrate(db.pool, { schema })
    const ctx = queryContext(db.pool, schema)
    const a = new Queue('prio-any-a', { connection: db.url, schema })
    const b = new Queue('prio-any-b', { connection: db.url, schema })
    const a1 = await a.enqueue('fixtures.add', 1, 1)
    const b1 = await b.enqueueCall({ func: 'fixtures.add', args: [1, 2], priority: -3 })
    const a2 = await a.enqueueCall({ func: 'fixtures.add', args: [1, 3], priority: -3 })
    const rows = await jobClaim(ctx, { queue: null, limit: 2, worker: 'w' })
    expect(rows.map((r) => r.id)).toEqual([b1.id, a2.id])
    expect((await jobClaim(ctx, { queue: null, limit: 5, worker: 'w' })).map((r) => r.id)).toEqual([a1.id])
  })

  it.each([[1.5], ['high'], [2 ** 31], [-(2 ** 31) - 1]])(
    'refuses priority %j with a one-line InvalidOption, writing nothing',
    async (priority) => {
      const q = new Queue('prio-bad', { connection: db.url })
      await expect(q.enqueueCall({ func: 'fixtures.add', args: [1], priority: priority as number })).rejects.toThrow(InvalidOption)
      await expect(q.enqueueCall({ func: 'fixtures.add', args: [1], priority: priority as number })).rejects.toThrow(
        /^invalid priority .*: use a whole number from -2147483648 to 2147483647/,
      )
      expect(() => new Queue('prio-bad', { priority: priority as number })).toThrow(InvalidOption)
      expect(await q.count()).toBe(0)
    },
  )
})
