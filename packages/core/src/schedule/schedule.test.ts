import { describe, expect, it } from '@jest/globals'
import { DateTime } from 'luxon'
import { Queue, Schedule, NoSuchSchedule, InvalidOption, InvalidSchedule, InvalidDate } from '@pq/core'
import { fireDueSchedules } from '@pq/core/internal'
import { useTestDatabase } from '@pq/core/testing'

const db = useTestDatabase()
const queue = (name = 'default') => new Queue(name, { connection: db.pool })
const lookup = () => ({ connection: db.pool })
const iso = (d: DateTime | null) => d?.toUTC().toISO({ suppressMilliseconds: true })

describe('queue.schedule', () => {
  it('stores a one-off run at a future date, to the second', async () => {
    const s = await queue().schedule('2030-01-01', 'fixtures.add', 1, 2)
    expect(iso(s.nextRunAt)).toBe('2030-01-01T00:00:00Z')
    expect(s).toMatchObject({ func: 'fixtures.add', args: [1, 2], queue: 'default', runCount: 0, runsLeft: 1 })
    const again = (await Schedule.get(s.id, lookup()))!
    expect(iso(again.nextRunAt)).toBe('2030-01-01T00:00:00Z')
  })

  it('stores a repeating rule with window, weekdays and zone, and its enqueue options', async () => {
    const s = await queue('reports').scheduleCall('2030-01-07T01:00', {
      func: 'fixtures.add',
      args: [1],
      repeat: 10,
      interval: 86400,
      between: '2:00/18:30',
      weekdays: ['MO', 'TU'],
      tz: 'Europe/London',
      timeout: '1m',
      resultTtl: 60,
      description: 'daily',
    })
    // 2030-01-07 is a Monday: 01:00 is before the window, so the run moves to 02:00 London (= UTC in January).
    expect(iso(s.nextRunAt)).toBe('2030-01-07T02:00:00Z')
    expect(s.runsLeft).toBe(11)
    expect(s.rule).toMatchObject({ repeat: 10, interval: 'P1D', between: '02:00/18:30', weekdays: [0, 1], tz: 'Europe/London' })
    expect(s.description).toMatch(/every P1D .*between 02:00\/18:30 on MO,TU/)
    expect(s.jobOptions).toMatchObject({
      timeout: 60,
      resultTtl: 60,
      failureTtl: 31536000,
      ttl: null,
      description: 'daily',
      retry: { max: 0, intervals: [] },
    })
    expect((await Schedule.get(s.id, lookup()))!.jobOptions).toEqual(s.jobOptions)
  })

  it('takes a cron rule', async () => {
    const s = await queue().scheduleCall('2030-03-01T00:00Z', { func: 'fixtures.add', cron: '30 9 * * 1-5', tz: 'America/New_York' })
    // 2030-03-01 is a Friday: 09:30 in New York (EST, UTC-5) is 14:30 UTC.
    expect(iso(s.nextRunAt)).toBe('2030-03-01T14:30:00Z')
    expect(s.runsLeft).toBeNull()
  })

  it("is written inside the caller's transaction, and gone with its rollback", async () => {
    const client = await db.pool.connect()
    try {
      await client.query('begin')
      const s = await queue().using(client).schedule('now', 'fixtures.add')
      await client.query('rollback')
      await expect(Schedule.get(s.id, lookup())).resolves.toBeUndefined()
    } finally {
      client.release()
    }
  })

  it('lists live schedules soonest first, and cancels one', async () => {
    const late = await queue('listing').schedule('2031-01-01', 'fixtures.add')
    const soon = await queue('listing').schedule('2030-06-01', 'fixtures.add')
    const listed = await Schedule.list({ ...lookup(), queue: 'listing' })
    expect(listed.map((s) => s.id)).toEqual([soon.id, late.id])
    await Schedule.cancel(late.id, lookup())
    expect((await Schedule.list({ ...lookup(), queue: 'listing' })).map((s) => s.id)).toEqual([soon.id])
    const canceled = (await Schedule.get(late.id, lookup()))!
    expect(canceled.nextRunAt).toBeNull()
    expect(canceled.runsLeft).toBe(0)
    await expect(Schedule.cancel(late.id, lookup())).rejects.toThrow(NoSuchSchedule)
  })

  it.each([
    [{ func: 'fixtures.add', dependsOn: 'x' }, InvalidOption, /dependsOn.*does not apply to a schedule/],
    [{ func: 'fixtures.add', repeat: 3 }, InvalidSchedule, /needs an interval or a cron/],
    [{ func: 'fixtures.add', weekdays: [7] }, InvalidSchedule, /7/],
    [{ func: 'fixtures.add', between: '25:00/26:00' }, InvalidSchedule, /25:00/],
    [{ func: 'fixtures.add', cron: 'every day' }, InvalidSchedule, /every day/],
  ])('refuses %j before writing anything', async (call, errorClass, message) => {
    const before = (await Schedule.list({ ...lookup(), includeEnded: true, limit: 1000 })).length
    const err = await queue()
      .scheduleCall('now', call as never)
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(errorClass)
    expect((err as Error).message).toMatch(message)
    expect((await Schedule.list({ ...lookup(), includeEnded: true, limit: 1000 })).length).toBe(before)
  })

  it('refuses an unparseable date', async () => {
    await expect(queue().schedule('tomorrow-ish', 'fixtures.add')).rejects.toThrow(InvalidDate)
  })
})

describe('firing schedules', () => {
  it('gives repeat 2 three runs when the first worker comes three seconds late: one catch-up, then the grid', async () => {
    // pq-schedule now tasks.record rep --repeat 2 --interval 1, with a worker started 3 s later.
    const start = DateTime.utc().plus({ days: 2 }).startOf('second')
    const s = await queue('fire').scheduleCall(start, { func: 'fixtures.add', args: [1, 1], repeat: 2, interval: 1 })
    const fired: string[] = []
    for (const late of [3000, 3500, 4000, 4500, 5000, 6000, 7000]) {
      if ((await fireDueSchedules(db.ctx, db.pool, start.plus({ milliseconds: late }))) > 0) fired.push(`+${late}ms`)
    }
    // The three slots missed collapse into the catch-up at +3 s; later runs stay on the whole seconds.
    expect(fired).toEqual(['+3000ms', '+4000ms', '+5000ms'])
    const done = (await Schedule.get(s.id, lookup()))!
    expect(done).toMatchObject({ runCount: 3, nextRunAt: null, runsLeft: 0 })
    const jobs = await queue('fire').jobs()
    expect(jobs).toHaveLength(3)
    expect(jobs[0]).toMatchObject({ scheduleId: s.id, func: 'fixtures.add', args: [1, 1] })
  })

  it('counts runs left as runs still to happen after a late start', async () => {
    const start = DateTime.utc().plus({ days: 3 }).startOf('second')
    const s = await queue('left').scheduleCall(start, { func: 'fixtures.add', repeat: 4, interval: 60 })
    await fireDueSchedules(db.ctx, db.pool, start.plus({ minutes: 10 }))
    const after = (await Schedule.get(s.id, lookup()))!
    expect(after).toMatchObject({ runCount: 1, nextK: 11, runsLeft: 4 })
  })

  it('counts runs exactly: repeat 2 makes three jobs when every slot is fired on time', async () => {
    const start = DateTime.utc().plus({ days: 1 }).startOf('second')
    const s = await queue('count').scheduleCall(start, { func: 'fixtures.add', repeat: 2, interval: 60 })
    for (let minute = 0; minute < 5; minute++) await fireDueSchedules(db.ctx, db.pool, start.plus({ minutes: minute }))
    const done = (await Schedule.get(s.id, lookup()))!
    expect(done.runCount).toBe(3)
    expect(done.nextRunAt).toBeNull()
    expect(await queue('count').count()).toBe(3)
  })
})
