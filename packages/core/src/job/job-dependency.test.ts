import { describe, expect, it } from '@jest/globals'
import { Queue } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'
import { DateTime } from 'luxon'
import { queryContext, jobReleaseDependents, jobReleaseStuckDependents, jobFinishMany, type JobOutcome } from '@pq/core/internal'

// Dependencies at the query level: release on completion, failure, fan-in, cascades, and the two
// interleavings of an enqueue racing its dependency's completion. Worker-driven runs are in
// packages/worker/src/flows.test.ts.

const db = useTestDatabase()
const queue = (name = 'deps') => new Queue(name, { connection: db.pool })
const WORKER = 'w-test'
const outcome = (id: string, status: 'finished' | 'failed' = 'finished'): JobOutcome => ({
  id,
  status,
  result: status === 'finished' ? '1' : null,
  excInfo: status === 'failed' ? 'boom' : null,
  retryAt: null,
})

async function statuses(ids: readonly string[]): Promise<string[]> {
  const { rows } = await db.pool.query('select id, status from pq.job where id = any($1)', [ids])
  const byId = new Map(rows.map((r: { id: string; status: string }) => [r.id, r.status]))
  return ids.map((id) => byId.get(id) ?? 'gone')
}

const start = (id: string) =>
  db.pool.query(`update pq.job set status = 'started', worker = $2, attempts = attempts + 1 where id = $1`, [id, WORKER])

/** Records an outcome as a worker's completion does: finish, then release when the flag says so. */
async function finish(id: string, status: 'finished' | 'failed' = 'finished'): Promise<string[]> {
  await start(id)
  const rows = await jobFinishMany(db.ctx, { worker: WORKER, releaseSerial: false, outcomes: [outcome(id, status)] })
  return jobReleaseDependents(db.ctx, { ids: rows.filter((r) => r.has_dependents).map((r) => r.id) })
}

/** Resolves once some statement on the test database waits for a lock. */
const someoneWaitsForALock = async () => {
  for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 10))) {
    const { rows } = await db.pool.query(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    )
    if (rows[0].n > 0) return
  }
  throw new Error('no statement waited for a lock within 5 s')
}

describe('dependencies', () => {
  it('a failed dependency keeps dependents deferred, except those allowing it', async () => {
    const q = queue('dep-fail')
    const a = await q.enqueue('fixtures.add')
    const strict = await q.enqueueCall({ func: 'fixtures.add', dependsOn: a })
    const lenient = await q.enqueueCall({ func: 'fixtures.add', dependsOn: a, allowDependencyFailure: true })
    expect(await finish(a.id, 'failed')).toEqual([lenient.id])
    expect(await statuses([strict.id, lenient.id])).toEqual(['deferred', 'queued'])
    await a.requeue()
    expect(await finish(a.id)).toEqual([strict.id])
    // Enqueued after the failure: deferred, or queued when it allows failure.
    const b = await q.enqueue('fixtures.add')
    await finish(b.id, 'failed')
    expect((await q.enqueueCall({ func: 'fixtures.add', dependsOn: b })).status).toBe('deferred')
    expect((await q.enqueueCall({ func: 'fixtures.add', dependsOn: b, allowDependencyFailure: true })).status).toBe('queued')
  })

  it('fan-in releases the dependent only when its last dependency finishes', async () => {
    const q = queue('fan-in')
    const deps = await q.enqueueMany([{ func: 'fixtures.add' }, { func: 'fixtures.add' }, { func: 'fixtures.add' }])
    const last = await q.enqueueCall({ func: 'fixtures.add', dependsOn: deps })
    expect(await finish(deps[0]!.id)).toEqual([])
    expect(await finish(deps[2]!.id)).toEqual([])
    expect(await finish(deps[1]!.id)).toEqual([last.id])
  })

  it('deleting a dependency cancels its dependents transitively, fan-out included', async () => {
    const q = queue('cascade')
    const root = await q.enqueue('fixtures.add')
    const [a, b] = await q.enqueueMany([
      { func: 'fixtures.add', dependsOn: root },
      { func: 'fixtures.add', dependsOn: root },
    ])
    const c = await q.enqueueCall({ func: 'fixtures.add', dependsOn: [a!, b!] })
    await root.delete()
    expect(await statuses([root.id, a!.id, b!.id, c.id])).toEqual(['gone', 'canceled', 'canceled', 'canceled'])
    expect((await c.refresh()).excInfo).toBe('canceled: a dependency was deleted')
  })

  it('an enqueue waiting on a completing dependency sees it finished and queues the dependent', async () => {
    const dep = await queue().enqueue('fixtures.add')
    await start(dep.id)
    const completion = await db.pool.connect()
    try {
      await completion.query('begin')
      await jobFinishMany(queryContext(completion, 'pq'), { worker: WORKER, releaseSerial: false, outcomes: [outcome(dep.id)] })
      const enqueuing = queue().enqueueCall({ func: 'fixtures.add', dependsOn: dep })
      await someoneWaitsForALock()
      await completion.query('commit')
      expect((await enqueuing).status).toBe('queued')
    } finally {
      completion.release()
    }
  })

  it('a completion waiting on an uncommitted dependent enqueue reports has_dependents and releases it', async () => {
    const dep = await queue().enqueue('fixtures.add')
    await start(dep.id)
    const caller = await db.pool.connect()
    try {
      await caller.query('begin')
      const dependent = await queue().using(caller).enqueueCall({ func: 'fixtures.add', dependsOn: dep })
      expect(dependent.status).toBe('deferred')
      const completing = jobFinishMany(db.ctx, { worker: WORKER, releaseSerial: false, outcomes: [outcome(dep.id)] })
      await someoneWaitsForALock()
      await caller.query('commit')
      const [row] = await completing
      expect(row).toMatchObject({ id: dep.id, status: 'finished', has_dependents: true })
      expect(await jobReleaseDependents(db.ctx, { ids: [dep.id] })).toEqual([dependent.id])
    } finally {
      caller.release()
    }
  })

  it('a dependent committed while its dependency is being deleted is canceled, not left deferred', async () => {
    const dep = await queue().enqueue('fixtures.add')
    const caller = await db.pool.connect()
    try {
      await caller.query('begin')
      const dependent = await queue().using(caller).enqueueCall({ func: 'fixtures.add', dependsOn: dep })
      const deleting = queue().delete(dep.id)
      await someoneWaitsForALock()
      await caller.query('commit')
      await deleting
      expect(await statuses([dep.id, dependent.id])).toEqual(['gone', 'canceled'])
    } finally {
      caller.release()
    }
  })

  it("two completions of a fan-in job's last dependencies release it exactly once", async () => {
    const [a, b] = await queue().enqueueMany([{ func: 'fixtures.add' }, { func: 'fixtures.add' }])
    const last = await queue().enqueueCall({ func: 'fixtures.add', dependsOn: [a!, b!] })
    await start(a!.id)
    await start(b!.id)
    await jobFinishMany(db.ctx, { worker: WORKER, releaseSerial: false, outcomes: [outcome(a!.id), outcome(b!.id)] })
    const released = await Promise.all([jobReleaseDependents(db.ctx, { ids: [a!.id] }), jobReleaseDependents(db.ctx, { ids: [b!.id] })])
    expect(released.flat()).toEqual([last.id])
    const { rows } = await db.pool.query('select position, enqueued_at from pq.job where id = $1', [last.id])
    expect(rows[0].enqueued_at).not.toBeNull()
  })
})

describe('the stuck-dependents safety net', () => {
  it('releases a dependent whose release was lost, as scheduled when its time is ahead', async () => {
    const dep = await queue('stuck').enqueue('fixtures.add')
    const later = await queue('stuck').enqueueCall({ func: 'fixtures.add', dependsOn: dep, at: DateTime.utc().plus({ hours: 1 }) })
    const now = await queue('stuck').enqueueCall({ func: 'fixtures.add', dependsOn: dep })
    await start(dep.id)
    // The completion committed but its worker died before releasing: no jobReleaseDependents.
    await jobFinishMany(db.ctx, { worker: WORKER, releaseSerial: false, outcomes: [outcome(dep.id)] })
    expect(await statuses([later.id, now.id])).toEqual(['deferred', 'deferred'])
    expect(await jobReleaseStuckDependents(db.ctx, { limit: 100 })).toBe(2)
    expect(await statuses([later.id, now.id])).toEqual(['scheduled', 'queued'])
  })
})
