import { describe, expect, it } from '@jest/globals'
import { DateTime } from 'luxon'
import { Schedule } from '@pq/core'
import { runCli } from '@pq/cli-kit'
import { useTestDatabase, useSchemaPerTest, FIXTURES_PATH, runCaptured } from '@pq/core/testing'
import { scheduleCli } from './schedule-cli.js'

const db = useTestDatabase()
// Each test its own schema: counts of whole tables are then the test's own.
const schema = useSchemaPerTest(db)

function run(...argv: string[]) {
  const env = { DATABASE_URL: db.url, PQ_SCHEMA: schema.name, PQ_PATH: FIXTURES_PATH }
  return runCaptured((io) => runCli('pq-schedule', () => scheduleCli(argv, env, io), io, argv))
}
const scheduled = async (out: string) => (await Schedule.get(out.split('\n')[0]!, { connection: db.pool, schema: schema.name }))!
const count = async () => (await db.pool.query(`select count(*)::int as n from ${schema.name}.schedule`)).rows[0].n as number
const iso = (d: DateTime | null) => d?.toUTC().toISO({ suppressMilliseconds: true })

describe('pq-schedule', () => {
  it('schedules a one-off on the first day of 2030 and prints its id and next run', async () => {
    const { code, out } = await run('2030-01-01', 'fixtures.add')
    expect(code).toBe(0)
    expect(out).toMatch(/^[0-9a-f-]{36}\nNext run: 2030-01-01T00:00:00Z\n/)
    expect(iso((await scheduled(out)).nextRunAt)).toBe('2030-01-01T00:00:00Z')
  })

  it("takes pq-enqueue's job option flags for each run's job (one declaration, withEnqueueOptions)", async () => {
    const { code, out } = await run(
      '2030-01-01',
      'fixtures.add',
      '--failure-ttl=1h',
      '--ttl=30m',
      '--retry=2',
      '--retry-interval=5',
      '--description=nightly',
      '--at-front',
      '--timeout=90',
      '--result-ttl=0',
      '--queue=reports',
    )
    expect(code).toBe(0)
    const s = await scheduled(out)
    expect(s.queue).toBe('reports')
    expect(s.jobOptions).toMatchObject({
      timeout: 90,
      resultTtl: 0,
      failureTtl: 3600,
      ttl: 1800,
      retry: { max: 2, intervals: [5] },
      description: 'nightly',
      atFront: true,
    })
  })

  it('reads one-digit hours and JSON-ish arguments', async () => {
    const { out } = await run('2030-01-01T9:10', 'fixtures.sayHello', 'arg1', '2', '{"a":1}')
    const s = await scheduled(out)
    expect(iso(s.nextRunAt)).toBe('2030-01-01T09:10:00Z')
    expect(s.args).toEqual(['arg1', 2, { a: 1 }])
  })

  it('repeats daily on Mondays and Tuesdays with --repeat=-1 --interval=86400 --mo --tu', async () => {
    const { code, out } = await run('2030-01-02T08:00', 'fixtures.add', '--repeat=-1', '--interval=86400', '--mo', '--tu')
    expect(code).toBe(0)
    const s = await scheduled(out)
    // 2030-01-02 is a Wednesday: the first allowed day is Monday 2030-01-07, same time of day.
    expect(iso(s.nextRunAt)).toBe('2030-01-07T08:00:00Z')
    expect(s.rule.weekdays).toEqual([0, 1])
    expect(s.runsLeft).toBeNull()
  })

  it('takes --between, --until, --tz, --cron, --queue, --timeout, --result-ttl and --kwargs', async () => {
    const a = await scheduled(
      (
        await run(
          '2030-07-01T01:00',
          'fixtures.withKwargs',
          '1',
          '--interval',
          'PT1H',
          '--until',
          '2030-07-02',
          '--between',
          '2.00-18.30',
          '--tz',
          'Europe/Paris',
          '--queue',
          'reports',
          '--timeout',
          '1m',
          '--result-ttl',
          '60',
          '--kwargs',
          '{"times":3}',
        )
      ).out,
    )
    // 01:00 Paris (CEST, UTC+2) is before the window: the run moves to 02:00 Paris = 00:00 UTC.
    expect(iso(a.nextRunAt)).toBe('2030-07-01T00:00:00Z')
    expect(a).toMatchObject({ queue: 'reports', kwargs: { times: 3 } })
    expect(iso(a.rule.until)).toBe('2030-07-01T22:00:00Z')
    const b = await scheduled((await run('2030-03-01', 'fixtures.add', '--cron', '30 9 * * 1-5', '--tz', 'America/New_York')).out)
    expect(iso(b.nextRunAt)).toBe('2030-03-01T14:30:00Z')
  })

  it('lists schedules as a table and as JSON, and cancels one', async () => {
    const { out } = await run('2030-05-05', 'fixtures.add', '--id', 'listed-one', '--timeout', '90', '--result-ttl', '-1')
    expect(out.startsWith('listed-one\n')).toBe(true)
    expect((await run('--list')).out).toMatch(/listed-one\s+default\s+fixtures\.add\s+2030-05-05T00:00:00Z\s+1\s+0/)
    const json = JSON.parse((await run('--list', '--json')).out) as { schedules: { id: string; next_run_at: string; runs_left: number }[] }
    expect(json.schedules.find((s) => s.id === 'listed-one')).toMatchObject({
      runs_left: 1,
      next_run_at: '2030-05-05T00:00:00.000Z',
      job_options: { timeout: 90, result_ttl: -1, failure_ttl: 31536000, ttl: null, retry: { max: 0, intervals: [] } },
    })
    expect(await run('--cancel', 'listed-one')).toMatchObject({ code: 0, out: 'Canceled schedule listed-one\n' })
    expect((await run('--list')).out).not.toMatch(/listed-one/)
    expect((await run('--list', '--all')).out).toMatch(/listed-one/)
  })

  it.each([
    [['tomorrow', 'fixtures.add'], /invalid at "tomorrow": use an ISO 8601 date/],
    [['2030-13-45', 'fixtures.add'], /invalid at "2030-13-45"/],
    [['now', 'fixtures.add', '--interval', 'often', '--repeat', '3'], /invalid interval "often"/],
    [['now', 'fixtures.add', '--repeat', '3', '--interval', '0'], /must be more than zero when the rule repeats/],
    [['now', 'fixtures.add', '--repeat', '-2', '--interval', '60'], /invalid repeat "-2"/],
    [['now', 'fixtures.add', '--repeat', '1.5', '--interval', '60'], /invalid repeat "1.5"/],
    [['now', 'fixtures.add', '--between', ''], /invalid between ""/],
    [['now', 'fixtures.add', '--between', '18:30'], /invalid between "18:30"/],
    [['now', 'fixtures.add', '--cron', '61 * * * *'], /invalid cron "61 \* \* \* \*"/],
    [['now', 'fixtures.add', '--tz', 'Mars/Olympus'], /unknown time zone "Mars\/Olympus"/],
    [['now', 'fixtures.nope'], /unknown function "fixtures\.nope"/],
    [['now', 'fixtures.add', '--kwargs', 'x'], /--kwargs is not valid JSON/],
    [['now'], /give a first run time and a function/],
    [['now', 'fixtures.add', '--xx'], /Unknown argument: xx/],
    [['--cancel', 'missing'], /no schedule with id "missing"/],
  ])('refuses %j with one line, exit 2, and no row written', async (argv, message) => {
    const before = await count()
    const { code, err, out } = await run(...argv)
    expect(err).toMatch(message)
    expect(err.trim().split('\n')).toHaveLength(1)
    expect(out).toBe('')
    expect(code).toBe(2)
    expect(await count()).toBe(before)
  })

  it('prints every option in --help, with examples', async () => {
    const { code, out } = await run('--help')
    expect(code).toBe(0)
    for (const flag of [
      '--repeat',
      '--interval',
      '--between',
      '--until',
      '--cron',
      '--tz',
      '--mo',
      '--su',
      '--queue',
      '--timeout',
      '--result-ttl',
      '--kwargs',
      '--path',
      '--database-url',
      '--schema',
      '--list',
      '--cancel',
    ]) {
      expect(out).toContain(flag)
    }
    expect(out).toContain('pq-schedule now reports.daily --repeat=-1')
    expect(out).toContain('--interval=86400 --mo --tu')
  })
})
