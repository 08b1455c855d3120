import { spawn } from 'node:child_process'
import { useTestDatabase, useSchemaPerTest, runCaptured } from '@pq/core/testing'
import { runCli } from '@pq/cli-kit'
import { adminCli } from './admin-cli.js'

const db = useTestDatabase()
// Each test its own schema (PQ_SCHEMA): pq-admin lists and empties whole tables.
const schema = useSchemaPerTest(db, 'admin')

/** Runs pq-admin in-process; `answer` makes stdin a terminal that types it. */
const admin = (argv: string[], answer?: string) =>
  runCaptured((io) => runCli('pq-admin', () => adminCli(argv, { DATABASE_URL: db.url, PQ_SCHEMA: schema.name }, io), io, argv), { answer })

async function insertJob(
  id: string,
  queue: string,
  status: string,
  extra: { args?: unknown; exc_info?: string; created?: string } = {},
): Promise<void> {
  await db.pool.query(`insert into ${schema.name}.queue (name) values ($1) on conflict do nothing`, [queue])
  await db.pool.query(
    `
    insert into ${schema.name}.job (id, queue, func, args, status, position, exc_info, created_at, ended_at)
    values ($1, $2, 'fixtures.add', $3, $4, nextval('${schema.name}.job_position_seq'), $5, coalesce($6::timestamptz, now()),
      case when $4 in ('finished', 'failed') then now() end)`,
    [id, queue, JSON.stringify(extra.args ?? [1, 2]), status, extra.exc_info ?? null, extra.created ?? null],
  )
}

const statusOf = async (id: string): Promise<string | undefined> =>
  (await db.pool.query<{ status: string }>(`select status from ${schema.name}.job where id = $1`, [id])).rows[0]?.status

describe('pq-admin', () => {
  it('lists jobs newest first, filtered and paginated', async () => {
    await insertJob('a', 'q1', 'failed', { created: '2026-01-01T00:00:01Z' })
    await insertJob('b', 'q1', 'failed', { created: '2026-01-01T00:00:02Z' })
    await insertJob('c', 'q1', 'failed', { created: '2026-01-01T00:00:03Z' })
    await insertJob('d', 'q1', 'queued')
    await insertJob('e', 'q2', 'failed')
    const first = await admin(['jobs', '--queue', 'q1', '--status', 'failed', '--per-page', '2'])
    expect(first.code).toBe(0)
    expect(
      first.out
        .split('\n')
        .slice(1, 3)
        .map((l) => l.split(' ')[0]),
    ).toEqual(['c', 'b'])
    expect(first.out).toContain('page 1 of 2 (3 jobs); next: --page 2')
    const second = JSON.parse(
      (await admin(['jobs', '--queue', 'q1', '--status', 'failed', '--per-page', '2', '--page', '2', '--json'])).out,
    )
    expect(second).toMatchObject({ total: 3, page: 2, jobs: [{ id: 'a' }] })
  })

  it('shows one job with its call, error and timestamps, and exits 2 on an unknown id', async () => {
    await insertJob('x1', 'q1', 'failed', { args: [1, 'two'], exc_info: 'Error: boom\n    at task (tasks.ts:1:1)' })
    const { code, out } = await admin(['show', 'x1'])
    expect(code).toBe(0)
    expect(out).toContain('fixtures.add(1, "two")')
    expect(out).toMatch(/status:\s+failed/)
    expect(out).toMatch(/priority:\s+0\n/)
    expect(out).toContain('excInfo:\n  Error: boom\n      at task (tasks.ts:1:1)')
    expect(JSON.parse((await admin(['show', 'x1', '--json'])).out)).toMatchObject({ id: 'x1', args: [1, 'two'], attempts: 0 })
    await insertJob('x2', 'q1', 'deferred', {})
    await db.pool.query(`insert into ${schema.name}.job_dependency (job_id, depends_on) values ('x2', 'x1')`)
    expect((await admin(['show', 'x2'])).out).toMatch(/depends on:\s+x1\n/)
    expect(JSON.parse((await admin(['show', 'x2', '--json'])).out)).toMatchObject({ id: 'x2', dependsOn: ['x1'] })
    const missing = await admin(['show', 'nope'])
    expect(missing.code).toBe(2) // an id that names nothing is bad input
    expect(missing.err).toContain('no job with id "nope"')
  })

  it('requeues given failed jobs and reports the ones it could not', async () => {
    await insertJob('f1', 'q1', 'failed')
    await insertJob('ok', 'q1', 'finished')
    const { code, out, err } = await admin(['requeue', 'f1', 'ok'])
    expect(code).toBe(1)
    expect(out).toContain('Requeued f1')
    expect(err).toContain('1 not requeued')
    expect(await statusOf('f1')).toBe('queued')
    expect(await statusOf('ok')).toBe('finished')
  })

  it('requeues every failed job of a queue with --all-failed --yes, and refuses without --yes off a terminal', async () => {
    await insertJob('f1', 'q1', 'failed')
    await insertJob('f2', 'q1', 'failed')
    await insertJob('f3', 'q2', 'failed')
    const refused = await admin(['requeue', '--all-failed', '--queue', 'q1'])
    expect(refused.code).toBe(2)
    expect(refused.err).toContain('refusing to requeue every failed job without --yes')
    expect(await statusOf('f1')).toBe('failed')
    const done = await admin(['requeue', '--all-failed', '--queue', 'q1', '--yes'])
    expect(done.out).toContain('Requeued 2 failed jobs of queue "q1"')
    expect([await statusOf('f1'), await statusOf('f2'), await statusOf('f3')]).toEqual(['queued', 'queued', 'failed'])
  })

  it('deletes jobs only once confirmed: --yes, or "y" typed on a terminal', async () => {
    await insertJob('d1', 'q1', 'queued')
    await insertJob('d2', 'q1', 'queued')
    const refused = await admin(['delete', 'd1'])
    expect(refused.code).toBe(2)
    expect(refused.err).toContain('refusing to delete jobs without --yes')
    const declined = await admin(['delete', 'd1'], 'n')
    expect(declined.code).toBe(1)
    expect(await statusOf('d1')).toBe('queued')
    const typed = await admin(['delete', 'd1'], 'y')
    expect(typed.code).toBe(0)
    expect(await statusOf('d1')).toBeUndefined()
    const flagged = await admin(['delete', 'd2', '--yes'])
    expect(flagged.out).toContain('Deleted d2')
    expect(await statusOf('d2')).toBeUndefined()
  })

  it('empties a queue of its waiting jobs only, and refuses without --yes', async () => {
    await insertJob('w1', 'q1', 'queued')
    await insertJob('w2', 'q1', 'scheduled')
    await insertJob('h1', 'q1', 'finished')
    await insertJob('o1', 'q2', 'queued')
    expect((await admin(['empty', 'q1'])).code).toBe(2)
    expect(await statusOf('w1')).toBe('queued')
    const { code, out } = await admin(['empty', 'q1', '--yes'])
    expect(code).toBe(0)
    expect(out).toContain('Deleted 2 waiting jobs of queue "q1"')
    expect([await statusOf('w1'), await statusOf('w2'), await statusOf('h1'), await statusOf('o1')]).toEqual([
      undefined,
      undefined,
      'finished',
      'queued',
    ])
  })

  it('cancels waiting jobs', async () => {
    await insertJob('c1', 'q1', 'queued')
    expect((await admin(['cancel', 'c1'])).out).toContain('Canceled c1')
    expect(await statusOf('c1')).toBe('canceled')
  })

  it('lists workers with state, queues, current jobs and heartbeat age', async () => {
    await db.pool.query(`insert into ${schema.name}.worker (name, host, pid, queues, state, heartbeat_at) values
      ('w1', 'h', 1, '{q1,q2}', 'busy', now() - interval '3 seconds'),
      ('w-old', 'h', 2, '{}', 'idle', now() - interval '10 minutes')`)
    await insertJob('r1', 'q1', 'started')
    await db.pool.query(`update ${schema.name}.job set worker = 'w1', started_at = now() where id = 'r1'`)
    const { out } = await admin(['workers'])
    const line = (name: string) =>
      out
        .split('\n')
        .find((l) => l.startsWith(name))!
        .split(/\s{2,}/)
    expect(line('w1 ')).toEqual(['w1', 'busy', 'q1,q2', 'r1', expect.stringMatching(/^[34] sec\. ago$/), '0/0'])
    expect(line('w-old')).toEqual(['w-old', 'lost', '*', '-', '10 min. ago', '0/0'])
  })

  it('asks a live worker to stop, and exits 2 naming the live ones for an unknown name', async () => {
    await db.pool.query(`insert into ${schema.name}.worker (name, host, pid, queues, state) values ('w1', 'h', 1, '{}', 'idle')`)
    expect((await admin(['stop-worker', 'w1'])).out).toContain('Asked worker w1 to stop')
    expect((await db.pool.query(`select stop_requested from ${schema.name}.worker`)).rows[0]).toEqual({ stop_requested: true })
    const missing = await admin(['stop-worker', 'w9'])
    expect(missing.code).toBe(2)
    expect(missing.err).toContain('no live worker named "w9" (live: w1)')
  })

  it('pings: exit 0 when every listed queue has a live worker, 1 when one has none', async () => {
    await db.pool.query(`insert into ${schema.name}.worker (name, host, pid, queues, state) values ('w1', 'h', 1, '{q1}', 'idle')`)
    const served = await admin(['ping', 'q1'])
    expect(served.code).toBe(0)
    expect(served.out).toMatch(/database: ok[^]*q1: 1 live worker/)
    const unserved = await admin(['ping', 'q1', 'q2', '--json'])
    expect(unserved.code).toBe(1)
    expect(JSON.parse(unserved.out)).toEqual({
      database: 'ok',
      ok: false,
      queues: [
        { name: 'q1', workers: ['w1'] },
        { name: 'q2', workers: [] },
      ],
    })
  })

  it('exits 2 on an unknown command', async () => {
    const { code, err } = await admin(['frobnicate'])
    expect(code).toBe(2)
    expect(err).toContain('unknown command "frobnicate"')
  })

  it('runs as a bin: ping through the JS shim exits 1 for an unserved queue', async () => {
    const child = spawn(process.execPath, ['packages/cli/bin/pq-admin.js', 'ping', 'lonely'], {
      env: { ...process.env, DATABASE_URL: db.url, PQ_SCHEMA: schema.name },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(code).toBe(1)
    expect(out).toContain('lonely: NO live worker')
  })
})

describe('pq-admin pause / resume and attempts', () => {
  it('pauses and resumes a queue, shown by pq-stats --json; resume of a running queue exits 1', async () => {
    await insertJob('p-1', 'held', 'queued')
    const paused = await admin(['pause', 'held'])
    expect(paused).toMatchObject({ code: 0, err: '' })
    expect(paused.out).toMatch(/^Queue "held" is paused \(since .+\)\. Resume it with pq-admin resume held\n$/)
    const { statsCli } = await import('../stats/stats-cli.js')
    const { out } = await runCaptured((io) => statsCli(['--json'], { DATABASE_URL: db.url, PQ_SCHEMA: schema.name }, io))
    expect(JSON.parse(out).queues[0]).toMatchObject({ name: 'held', jobs: 1, paused: true })
    expect(await admin(['resume', 'held'])).toMatchObject({ code: 0, out: 'Queue "held" resumed.\n' })
    expect(await admin(['resume', 'held'])).toMatchObject({ code: 1, err: 'pq-admin: queue "held" is not paused\n' })
  })

  it('show lists the failed attempts', async () => {
    await insertJob('att-1', 'mail', 'failed', { exc_info: 'Error: second' })
    await db.pool.query(`update ${schema.name}.job set attempts = 2, attempt_log = $1 where id = 'att-1'`, [
      JSON.stringify([
        { attempt: 1, class: 'TypeError', message: 'first', stack: 'TypeError: first', at: '2026-01-02T03:04:05Z', worker: 'w1' },
        { attempt: 2, class: 'Error', message: 'second', stack: 'Error: second', at: '2026-01-02T03:05:05Z', worker: 'w2' },
      ]),
    ])
    const shown = await admin(['show', 'att-1'])
    expect(shown.out).toContain(
      'failed attempts (last 10 kept):\n  #1 2026-01-02T03:04:05.000Z on w1: TypeError: first\n  #2 2026-01-02T03:05:05.000Z on w2: Error: second\n',
    )
    const json = JSON.parse((await admin(['show', 'att-1', '--json'])).out)
    expect(json.attemptHistory.map((a: { errorClass: string }) => a.errorClass)).toEqual(['TypeError', 'Error'])
  })
})
