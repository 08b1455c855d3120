import { describe, expect, it } from '@jest/globals'
import { DateTime } from 'luxon'
import { Queue, Flow, NoSuchFlow, NoSuchJob, DependencyCycle, InvalidOption, InvalidState } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'
import { jobReleaseDependents, jobFinishMany, jobSweepExpired } from '@pq/core/internal'

const db = useTestDatabase()
const queue = (name = 'flows', options = {}) => new Queue(name, { connection: db.pool, ...options })
const lookup = () => ({ connection: db.pool })

async function statuses(ids: readonly string[]): Promise<string[]> {
  const { rows } = await db.pool.query('select id, status from pq.job where id = any($1)', [ids])
  const byId = new Map(rows.map((r: { id: string; status: string }) => [r.id, r.status]))
  return ids.map((id) => byId.get(id) ?? 'gone')
}

/** Marks a job started by a pretend worker, then records an outcome as a worker's completion does. */
async function finish(id: string, status: 'finished' | 'failed' = 'finished'): Promise<string[]> {
  await db.pool.query(`update pq.job set status = 'started', worker = 'w-test', attempts = attempts + 1 where id = $1`, [id])
  const rows = await jobFinishMany(db.ctx, {
    worker: 'w-test',
    releaseSerial: false,
    outcomes: [{ id, status, result: status === 'finished' ? '1' : null, excInfo: status === 'failed' ? 'boom' : null, retryAt: null }],
  })
  return jobReleaseDependents(db.ctx, { ids: rows.filter((r) => r.has_dependents).map((r) => r.id) })
}

describe('Flow.run', () => {
  it('writes the steps in order, each deferred on the one before, with the flow record', async () => {
    const flow = await Flow.run(queue(), { name: 'ordered' }, (f) => {
      f.enqueue('fixtures.add', 1, 2)
      f.enqueueCall({ func: 'fixtures.add', args: [1, 2, 3], jobId: 'ordered-2' })
      f.enqueueAt(DateTime.utc().plus({ days: 1 }), 'fixtures.sayHello', 'Mars')
    })
    expect(flow.name).toBe('ordered')
    expect(flow.jobs).toHaveLength(3)
    expect(flow.jobs[1]).toBe('ordered-2')
    expect(flow.status).toBe('queued')
    expect(flow.steps.map((s) => s.status)).toEqual(['queued', 'deferred', 'deferred'])
    expect(flow.steps.every((s) => s.flowId === flow.id)).toBe(true)
    const { rows: edges } = await db.pool.query('select job_id, depends_on from pq.job_dependency where job_id = any($1) order by job_id', [
      flow.jobs,
    ])
    expect(edges).toEqual(
      expect.arrayContaining([
        { job_id: flow.jobs[1], depends_on: flow.jobs[0] },
        { job_id: flow.jobs[2], depends_on: flow.jobs[1] },
      ]),
    )
    expect(edges).toHaveLength(2)
    // Steps depended on inside the batch carry the flag a completion reads to release the next step.
    const { rows } = await db.pool.query('select id, has_dependents, scheduled_for from pq.job where id = any($1)', [flow.jobs])
    const byId = new Map(rows.map((r: { id: string; has_dependents: boolean; scheduled_for: Date | null }) => [r.id, r]))
    expect(flow.jobs.map((id) => byId.get(id)?.has_dependents)).toEqual([true, true, false])
    expect(byId.get(flow.jobs[2]!)?.scheduled_for).not.toBeNull()
    const read = (await Flow.get(flow.id, lookup()))!
    expect(read.jobs).toEqual(flow.jobs)
    expect(read.queue).toBe('flows')
  })

  it('releases each step as the one before finishes, a future schedule step as scheduled', async () => {
    const at = DateTime.utc().plus({ hours: 1 })
    const flow = await Flow.run(queue(), (f) => {
      f.enqueue('fixtures.add', 1, 1)
      f.enqueueAt(at, 'fixtures.add', 2, 2)
      f.enqueue('fixtures.add', 3, 3)
    })
    expect(await finish(flow.jobs[0]!)).toEqual([flow.jobs[1]])
    expect(await statuses(flow.jobs)).toEqual(['finished', 'scheduled', 'deferred'])
    const step = (await flow.refresh()).steps[1]!
    expect(step.scheduledFor!.toMillis()).toBe(at.toMillis())
    expect(flow.status).toBe('started')
  })

  it('writes nothing when the block throws, and nothing for an empty flow', async () => {
    const before = await db.pool.query('select (select count(*) from pq.job)::int as jobs, (select count(*) from pq.flow)::int as flows')
    await expect(
      Flow.run(queue(), { name: 'broken' }, (f) => {
        f.enqueue('fixtures.add', 1)
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    await expect(
      Flow.run(queue(), { name: 'broken' }, async (f) => {
        f.enqueue('fixtures.add', 1)
        f.enqueueCall({ func: 'fixtures.add', args: [() => 1] })
      }),
    ).rejects.toThrow(/args\[0\] cannot be stored as JSON/)
    await expect(Flow.run(queue(), { name: 'empty' }, () => {})).rejects.toThrow(InvalidOption)
    await expect(Flow.run(queue(), { name: 'empty' }, () => {})).rejects.toThrow(
      /^flow "empty" has no steps; add at least one with f.enqueue/,
    )
    const after = await db.pool.query('select (select count(*) from pq.job)::int as jobs, (select count(*) from pq.flow)::int as flows')
    expect(after.rows).toEqual(before.rows)
    expect(await Flow.find('broken', lookup())).toEqual([])
  })

  it('writes nothing when a step is refused by the database: all or none', async () => {
    await queue().enqueueCall({ func: 'fixtures.add', jobId: 'taken' })
    await expect(
      Flow.run(queue(), { name: 'dup' }, (f) => {
        f.enqueue('fixtures.add', 1)
        f.enqueueCall({ func: 'fixtures.add', jobId: 'taken' })
      }),
    ).rejects.toThrow(/a job with id "taken" already exists/)
    expect(await Flow.find('dup', lookup())).toEqual([])
    const { rows } = await db.pool.query(
      `select count(*)::int as n from pq.job where flow_id is not null and id <> 'taken' and func = 'fixtures.add' and args = '[1]'`,
    )
    expect(rows[0].n).toBe(0)
  })

  it('leaves nothing behind when the caller rolls back, and exists once the caller commits', async () => {
    const client = await db.pool.connect()
    try {
      await client.query('begin')
      const flow = await Flow.run(queue('trx').using(client), { name: 'in-trx' }, (f) => {
        f.enqueue('fixtures.add', 1)
        f.enqueue('fixtures.add', 2)
      })
      await client.query('rollback')
      await expect(Flow.get(flow.id, lookup())).resolves.toBeUndefined()
      expect(await statuses(flow.jobs)).toEqual(['gone', 'gone'])

      await client.query('begin')
      const kept = await Flow.run(queue('trx').using(client), { name: 'in-trx' }, (f) => {
        f.enqueue('fixtures.add', 3)
      })
      await expect(Flow.get(kept.id, lookup())).resolves.toBeUndefined()
      await client.query('commit')
      expect((await Flow.get(kept.id, lookup()))!.status).toBe('queued')
    } finally {
      client.release()
    }
  })

  it("puts steps on other queues with f.on, each with that queue's defaults", async () => {
    const other = queue('flows-other', { resultTtl: 60, serial: true })
    const flow = await Flow.run(queue(), (f) => {
      f.enqueue('fixtures.add', 1)
      f.on(other).enqueue('fixtures.add', 2)
      f.on('flows-third').enqueueCall({ func: 'fixtures.add', args: [3] })
    })
    expect(flow.steps.map((s) => [s.queue, s.resultTtl])).toEqual([
      ['flows', 500],
      ['flows-other', 60],
      ['flows-third', 500],
    ])
    const { rows } = await db.pool.query(`select name, serial from pq.queue where name like 'flows-%' order by name`)
    expect(rows).toEqual([
      { name: 'flows-other', serial: true },
      { name: 'flows-third', serial: false },
    ])
    await expect(
      Flow.run(queue(), (f) => {
        f.on(new Queue('x', { connection: db.pool, schema: 'elsewhere' })).enqueue('fixtures.add')
      }),
    ).rejects.toThrow(/names a queue in schema "elsewhere" but the flow writes to schema "pq"/)
  })

  it('refuses a step added after the block returned', async () => {
    let late: ((func: string) => string) | undefined
    await Flow.run(queue(), (f) => {
      f.enqueue('fixtures.add')
      late = (func) => f.enqueue(func)
    })
    expect(() => late!('fixtures.add')).toThrow(InvalidState)
  })

  it('refuses a step depending on a job that does not exist, and a cycle', async () => {
    await expect(
      Flow.run(queue(), (f) => {
        f.enqueueCall({ func: 'fixtures.add', dependsOn: 'no-such-job' })
      }),
    ).rejects.toThrow(NoSuchJob)
    await expect(
      Flow.run(queue(), (f) => {
        f.enqueueCall({ func: 'fixtures.add', jobId: 'loop-1', dependsOn: 'loop-2' })
        f.enqueueCall({ func: 'fixtures.add', jobId: 'loop-2' })
      }),
    ).rejects.toThrow(DependencyCycle)
    expect(await statuses(['loop-1', 'loop-2'])).toEqual(['gone', 'gone'])
  })
})

describe('reading flows', () => {
  it('finds every flow of a name, newest first, and refuses an unknown id', async () => {
    const first = await Flow.run(queue(), { name: 'nightly' }, (f) => void f.enqueue('fixtures.add'))
    const second = await Flow.run(queue(), { name: 'nightly' }, (f) => void f.enqueue('fixtures.add'))
    await db.pool.query(`update pq.flow set created_at = created_at - interval '1 minute' where id = $1`, [first.id])
    expect((await Flow.find('nightly', lookup())).map((f) => f.id)).toEqual([second.id, first.id])
    expect((await Flow.find('nightly', queue())).map((f) => f.id)).toEqual([second.id, first.id])
    await expect(Flow.get('nope', lookup())).resolves.toBeUndefined()
  })

  it('derives the status from the steps: failed names the step, canceled, finished', async () => {
    const flow = await Flow.run(queue(), (f) => {
      f.enqueue('fixtures.add', 1)
      f.enqueue('fixtures.add', 2)
      f.enqueue('fixtures.add', 3)
    })
    await finish(flow.jobs[0]!)
    await finish(flow.jobs[1]!, 'failed')
    await flow.refresh()
    expect(flow.status).toBe('failed')
    expect(flow.failedStep?.id).toBe(flow.jobs[1])
    expect(flow.steps[2]!.status).toBe('deferred')
    await flow.failedStep!.requeue()
    expect((await flow.refresh()).status).toBe('started')
    await finish(flow.jobs[1]!)
    await finish(flow.jobs[2]!)
    expect((await flow.refresh()).status).toBe('finished')
    // A step swept after finishing counts as finished.
    await db.pool.query('delete from pq.job where id = $1', [flow.jobs[0]])
    expect((await flow.refresh()).status).toBe('finished')
  })
})

describe('cancelling', () => {
  it('flow.cancel cancels the steps that have not run, and jobs outside the flow waiting on them', async () => {
    const flow = await Flow.run(queue(), (f) => {
      f.enqueue('fixtures.add', 1)
      f.enqueue('fixtures.add', 2)
      f.enqueue('fixtures.add', 3)
    })
    const outside = await queue('outside').enqueueCall({ func: 'fixtures.add', dependsOn: flow.jobs[2]! })
    const further = await queue('outside').enqueueCall({ func: 'fixtures.add', dependsOn: outside })
    await finish(flow.jobs[0]!)
    const canceled = await flow.cancel()
    expect(canceled.sort()).toEqual([flow.jobs[1], flow.jobs[2], outside.id, further.id].sort())
    expect(flow.status).toBe('canceled')
    expect(await statuses([...flow.jobs, outside.id, further.id])).toEqual(['finished', 'canceled', 'canceled', 'canceled', 'canceled'])
    expect(await flow.cancel()).toEqual([])
  })

  it('a job enqueued on a canceled dependency is canceled, and so are its batch-mates after it', async () => {
    const dep = await queue().enqueue('fixtures.add')
    await dep.cancel()
    const flow = await Flow.run(queue(), (f) => {
      f.enqueueCall({ func: 'fixtures.add', dependsOn: dep })
      f.enqueue('fixtures.add')
    })
    expect(flow.steps.map((s) => s.status)).toEqual(['canceled', 'canceled'])
    expect(flow.status).toBe('canceled')
  })
})

describe("a flow's lifetime", () => {
  it('is swept with its final job, not before', async () => {
    const flow = await Flow.run(queue(), (f) => {
      f.enqueue('fixtures.add', 1)
      f.enqueue('fixtures.add', 2)
    })
    await db.pool.query(`update pq.job set expires_at = now() - interval '1 second' where id = $1`, [flow.jobs[0]])
    await jobSweepExpired(db.ctx, { limit: 100 })
    expect((await Flow.get(flow.id, lookup()))!.steps.map((s) => s.id)).toEqual([flow.jobs[1]])
    await db.pool.query(`update pq.job set expires_at = now() - interval '1 second' where id = $1`, [flow.jobs[1]])
    await jobSweepExpired(db.ctx, { limit: 100 })
    await expect(Flow.get(flow.id, lookup())).resolves.toBeUndefined()
    await expect(flow.refresh()).rejects.toThrow(NoSuchFlow)
  })

  it('goes at once when its final job is deleted, by resultTtl 0 or by hand', async () => {
    const quick = await Flow.run(queue(), (f) => {
      f.enqueueCall({ func: 'fixtures.add', resultTtl: 0 })
    })
    await finish(quick.jobs[0]!)
    await expect(Flow.get(quick.id, lookup())).resolves.toBeUndefined()
    const manual = await Flow.run(queue(), (f) => {
      f.enqueue('fixtures.add', 1)
      f.enqueue('fixtures.add', 2)
    })
    await queue().delete(manual.jobs[0]!)
    expect((await Flow.get(manual.id, lookup()))!.status).toBe('canceled')
    await queue().delete(manual.jobs[1]!)
    await expect(Flow.get(manual.id, lookup())).resolves.toBeUndefined()
  })
})

describe('a queue with isAsync false', () => {
  it("runs a flow's steps at once, in order, and stops at a failed step", async () => {
    const q = queue('sync', { isAsync: false, path: (await import('@pq/core/testing')).FIXTURES_PATH })
    const flow = await Flow.run(q, (f) => {
      f.enqueue('fixtures.add', 1, 2)
      f.enqueue('fixtures.fail', 'stop here')
      f.enqueue('fixtures.add', 3, 4)
    })
    expect(flow.steps.map((s) => s.status)).toEqual(['finished', 'failed', 'deferred'])
    expect(flow.status).toBe('failed')
    expect((await Flow.get(flow.id, lookup()))!.failedStep?.excInfo).toMatch(/stop here/)
  })
})
