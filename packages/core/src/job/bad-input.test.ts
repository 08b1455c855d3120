import { describe, expect, it } from '@jest/globals'
import { DateTime } from 'luxon'
import { Queue, PqError, ConnectionError, NoSuchJob, type EnqueueCall } from '@pq/core'
import { useTestDatabase } from '@pq/core/testing'

// Issue 13, item 7: every bad API input is refused before writing, with a typed pq error that
// names the field and the allowed form or range.
const db = useTestDatabase()
const q = () => new Queue('bad-input', { connection: db.url })
const rowsWritten = async () =>
  Number((await db.pool.query('select (select count(*) from pq.job) + (select count(*) from pq.schedule) as n')).rows[0].n)

async function refused(attempt: () => Promise<unknown>, field: string | RegExp): Promise<PqError> {
  const before = await rowsWritten()
  const err = await attempt().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(PqError)
  expect((err as Error).message).toMatch(field)
  expect(await rowsWritten()).toBe(before)
  return err as PqError
}

describe('bad enqueue input', () => {
  const big = 'x'.repeat(65 * 1024 * 1024)
  const cases: [string, EnqueueCall, RegExp][] = [
    ['NUL in args', { func: 'm.f', args: ['a\u0000b'] }, /args\[0\].*\\u0000/],
    ['NUL in a kwargs key', { func: 'm.f', kwargs: { 'k\u0000': 1 } }, /kwargs key.*\\u0000/],
    ['NUL in meta', { func: 'm.f', meta: { note: '\u0000' } }, /meta\.note.*\\u0000/],
    ['NUL in description', { func: 'm.f', description: 'a\u0000' }, /description.*\\u0000/],
    ['a lone surrogate in args', { func: 'm.f', args: ['\uD800x'] }, /args\[0\].*surrogate/],
    ['a lone surrogate in description', { func: 'm.f', description: 'x\uDC00' }, /description.*surrogate/],
    ['a 65 MB argument', { func: 'm.f', args: [big] }, /args .*at most 64 MB/],
    ['resultTtl beyond 2^31', { func: 'm.f', resultTtl: 2 ** 31 }, /resultTtl.*at most 2147483647/],
    ['resultTtl not whole', { func: 'm.f', resultTtl: 1.5 }, /resultTtl.*whole seconds/],
    ['ttl beyond 2^31', { func: 'm.f', ttl: 2 ** 31 }, /ttl.*at most 2147483647/],
    ['ttl not whole', { func: 'm.f', ttl: 2.5 }, /ttl.*whole seconds/],
    ['retry.max beyond 2^31', { func: 'm.f', retry: { max: 2 ** 31 } }, /retry.*max a whole number from 0 to 2147483647/],
    ['retry.max not whole', { func: 'm.f', retry: { max: 1.5 } }, /retry/],
    ['retry.intervals beyond 2^31', { func: 'm.f', retry: { max: 1, intervals: [2 ** 31] } }, /retry.intervals.*2147483647/],
    ['timeout 1e12', { func: 'm.f', timeout: 1e12 }, /timeout.*at most 2147483 seconds/],
  ]
  it.each(cases)('refuses %s', async (_what, call, message) => {
    await refused(() => q().enqueueCall(call), message)
  })

  it('refuses a lone-surrogate queue name', async () => {
    await refused(async () => new Queue('q\uD800', { connection: db.url }).enqueue('m.f'), /invalid queue name.*surrogate/)
  })

  it('says which call of enqueueMany is wrong', async () => {
    await refused(() => q().enqueueMany([{ func: 'm.f' }, { func: 'm.f' }, { func: 'm.f', args: ['\u0000'] }]), /^calls\[2\]: args\[0\]/)
  })

  it('names 10,000 missing dependencies in one short line', async () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `missing-${i}`)
    const err = await refused(
      () => q().enqueueCall({ func: 'm.f', dependsOn: ids }),
      /10,000 jobs that do not exist: missing-0, .* and 9,995 more/,
    )
    expect(err).toBeInstanceOf(NoSuchJob)
    expect(err.message.length).toBeLessThan(300)
  })

  it('refuses a repeat of 2^31 and a schedule anchored in 1900 with a 1 s interval', async () => {
    await refused(() => q().scheduleCall('now', { func: 'm.f', repeat: 2 ** 31, interval: 60 }), /repeat.*2147483647/)
    await refused(() => q().scheduleCall(DateTime.utc(1900, 1, 1), { func: 'm.f', interval: 1, repeat: -1 }), /at .*interval/)
  })

  it('gives ConnectionError, secrets masked, when Postgres cannot be reached', async () => {
    const err = await new Queue('x', { connection: 'postgres://u@127.0.0.1:1/db?password=hunter2' }).enqueue('m.f').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ConnectionError)
    expect((err as Error).message).toMatch(/cannot connect to Postgres at postgres:\/\/u@127.0.0.1:1\/db\?password=\*\*\*/)
  })
})
