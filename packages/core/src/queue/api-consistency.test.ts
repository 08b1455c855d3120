import { describe, expect, it } from '@jest/globals'
import { Queue, Flow, Schedule, NoSuchJob, NoSuchSchedule, DEFAULT_JOB_TIMEOUT } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'

const db = useTestDatabase()
const queue = (name = 'default') => new Queue(name, { connection: db.pool })
const lookup = () => ({ connection: db.pool })

describe('one rule per kind of call: lookups give undefined, actions on a missing id throw', () => {
  it('gives undefined from every lookup of a missing id', async () => {
    await expect(queue().fetchJob('nope')).resolves.toBeUndefined()
    await expect(Flow.get('nope', lookup())).resolves.toBeUndefined()
    await expect(Schedule.get('nope', lookup())).resolves.toBeUndefined()
  })

  it('throws from every action on a missing id', async () => {
    await expect(queue().delete('nope')).rejects.toThrow(NoSuchJob)
    const job = await queue().enqueue('fixtures.add', 1, 2)
    await job.delete()
    await expect(job.delete()).rejects.toThrow(NoSuchJob)
    await expect(job.refresh()).rejects.toThrow(NoSuchJob)
    await expect(Schedule.cancel('nope', lookup())).rejects.toThrow(NoSuchSchedule)
  })
})

describe('Job.dependsOn', () => {
  it('lists the jobs a job waits for, from enqueue and from fetchJob', async () => {
    const q = queue('deps')
    const a = await q.enqueue('fixtures.add', 1, 1)
    const b = await q.enqueue('fixtures.add', 2, 2)
    const c = await q.enqueueCall({ func: 'fixtures.add', args: [3, 3], dependsOn: [b.id, a.id] })
    expect([...c.dependsOn].sort()).toEqual([a.id, b.id].sort())
    expect([...(await q.fetchJob(c.id))!.dependsOn].sort()).toEqual([a.id, b.id].sort())
    expect(a.dependsOn).toEqual([])
    expect((await c.refresh()).dependsOn.length).toBe(2)
  })
})

describe('queue.jobIds', () => {
  it('returns every queued id, not only the first 100, and one page when asked', async () => {
    const q = queue('many-ids')
    const jobs = await q.enqueueMany(Array.from({ length: 150 }, (_, i) => ({ func: 'fixtures.add', args: [i, 0] })))
    const ids = await q.jobIds()
    expect(ids).toHaveLength(150)
    expect(ids).toEqual(jobs.map((j) => j.id))
    expect(await q.jobIds({ offset: 140, limit: 20 })).toEqual(jobs.slice(140).map((j) => j.id))
  })
})

describe('the default job timeout', () => {
  it('is known to @pq/core: 600 seconds', () => {
    expect(DEFAULT_JOB_TIMEOUT).toBe(600)
  })
})
