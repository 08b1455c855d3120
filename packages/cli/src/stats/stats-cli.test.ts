import { useTestDatabase, runCaptured } from '@pq/core/testing'
import { collectQueueStats } from '@pq/core/internal'
import { runCli } from '@pq/cli-kit'
import { statsCli } from './stats-cli.js'

const db = useTestDatabase()

/** Runs pq-stats in-process and captures what it prints. */
const stats = (argv: string[], tty = false) =>
  runCaptured((io) => runCli('pq-stats', () => statsCli(argv, { DATABASE_URL: db.url }, io), io, argv), { tty })

/** Inserts `n` jobs of one queue and status with plain SQL. */
async function seed(queue: string, status: string, n: number): Promise<void> {
  await db.pool.query(`insert into pq.queue (name) values ($1) on conflict do nothing`, [queue])
  await db.pool.query(
    `
    insert into pq.job (id, queue, func, status, position, created_at, ended_at)
    select $1 || '-' || $2 || '-' || g, $1, 'fixtures.add', $2, nextval('pq.job_position_seq'),
      timestamptz '2026-01-02 03:04:05+00' + g * interval '1 second',
      case when $2 in ('finished', 'failed') then now() end
    from generate_series(1, $3::int) g`,
    [queue, status, n],
  )
}

beforeAll(async () => {
  await seed('high', 'queued', 3)
  await seed('high', 'started', 2)
  await seed('high', 'deferred', 4)
  await seed('high', 'scheduled', 5)
  await seed('high', 'finished', 6)
  await seed('high', 'failed', 7)
  await seed('low', 'finished', 1)
  // Live workers: one serving high, one serving every queue; a stale one and a stopped one count for nothing.
  await db.pool.query(`
    insert into pq.worker (name, host, pid, queues, state, heartbeat_at) values
      ('w-high', 'h', 1, '{high}', 'idle', now()),
      ('w-all', 'h', 2, '{}', 'busy', now()),
      ('w-stale', 'h', 3, '{high,low}', 'idle', now() - interval '10 minutes'),
      ('w-stopped', 'h', 4, '{low}', 'stopped', now())`)
})

describe('pq-stats', () => {
  it('prints one row per queue with each status counted and live workers', async () => {
    const { code, out } = await stats([])
    expect(code).toBe(0)
    const cells = (name: string) =>
      out
        .split('\n')
        .find((l) => l.startsWith(`| ${name} `))!
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim())
    expect(out).toContain('| Name')
    expect(cells('high')).toEqual(['high', '3', '2', '4', '5', '6', '7', '2'])
    expect(cells('low')).toEqual(['low', '0', '0', '0', '0', '1', '0', '1'])
  })

  it("prints rqstats' JSON shape with --json", async () => {
    const { out } = await stats(['--json'])
    const doc = JSON.parse(out) as { queues: Record<string, unknown>[] }
    expect(doc.queues.map((q) => q.name)).toEqual(['high', 'low'])
    expect(doc.queues[0]).toMatchObject({
      name: 'high',
      jobs: 3,
      oldest_job_timestamp: '2026-01-02T03:04:06.000Z',
      index: 0,
      workers: 2,
      finished_jobs: 6,
      started_jobs: 2,
      deferred_jobs: 4,
      failed_jobs: 7,
      scheduled_jobs: 5,
      estimated: [],
    })
    expect(doc.queues[1]).toMatchObject({ name: 'low', jobs: 0, oldest_job_timestamp: '-', index: 1, workers: 1 })
  })

  it('limits the figures to one queue with --queue', async () => {
    const doc = JSON.parse((await stats(['--json', '--queue', 'low'])).out) as { queues: { name: string }[] }
    expect(doc.queues.map((q) => q.name)).toEqual(['low'])
  })

  it('prints the same document as YAML with --yaml', async () => {
    const { out } = await stats(['--yaml', '--queue', 'high'])
    expect(out).toContain('queues:\n  - name: "high"\n    jobs: 3\n')
    expect(out).toContain('    failed_jobs: 7\n')
  })

  it('redraws the table with --interval, --count times', async () => {
    const { out } = await stats(['--interval', '0.05', '--count', '2'])
    expect(out.match(/pq-stats, every 0.05 s/g)).toHaveLength(2)
    expect(out.match(/\| Name/g)).toHaveLength(2)
    const tty = await stats(['--interval', '0.05', '--count', '2'], true)
    expect(tty.out.match(/\x1b\[H\x1b\[2J/g)).toHaveLength(2) // in place: clear and home before each draw
  })

  it('refuses --count without --interval, with exit 2', async () => {
    const { code, err } = await stats(['--count', '2'])
    expect(code).toBe(2)
    expect(err).toContain('--count needs --interval')
  })
})

describe('collectQueueStats', () => {
  it('estimates finished counts above the cap once the table was analyzed, and counts exactly before', async () => {
    await seed('big', 'finished', 500)
    const before = (await collectQueueStats(db.ctx, { queue: 'big', cap: 100 }))[0]!
    expect(before.counts.finished).toBe(500) // no statistics yet: counted in full
    expect(before.estimated).toEqual([])
    await db.pool.query('analyze pq.job')
    const after = (await collectQueueStats(db.ctx, { queue: 'big', cap: 100 }))[0]!
    expect(after.estimated).toEqual(['finished'])
    expect(after.counts.finished).toBeGreaterThan(400)
    expect(after.counts.finished).toBeLessThan(600)
    const exact = (await collectQueueStats(db.ctx, { queue: 'big', cap: 100, mode: 'exact' }))[0]!
    expect(exact).toMatchObject({ estimated: [], counts: { finished: 500 } })
  })
})

describe('pq-stats table health', () => {
  it('shows live and dead rows, last vacuum and analyze, the oldest transaction, and warnings, in text and --json', async () => {
    await db.pool.query('vacuum analyze pq.schedule')
    const json = JSON.parse((await stats(['--json'])).out)
    const schedule = json.tables.find((t: { table: string }) => t.table === 'schedule')
    expect(schedule).toMatchObject({ live_tuples: expect.any(Number), dead_tuples: expect.any(Number) })
    expect(schedule.last_vacuum ?? schedule.last_autovacuum).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(json.tables.map((t: { table: string }) => t.table)).toEqual(expect.arrayContaining(['job', 'queue', 'worker']))
    expect(json).toHaveProperty('oldest_xact_age_seconds')
    expect(Array.isArray(json.warnings)).toBe(true)
    expect(json.warnings.some((w: string) => w.startsWith('autovacuum is off'))).toBe(json.autovacuum === false)
    const text = (await stats([])).out
    expect(text).toMatch(/Table\s+Live rows\s+Dead rows\s+Last vacuum\s+Last analyze/)
    expect(text).toMatch(/\nschedule\s+\d+\s+\d+\s+\d{4}-\d\d-\d\dT\S+ \((manual|auto)\)/)
    expect(text).toContain('Oldest open transaction holding back vacuum: ')
  })
})
