import { describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { Queue } from '@pq/core'
import { runCli } from '@pq/cli-kit'
import { useTestDatabase, useSchemaPerTest, FIXTURES_PATH, runCaptured } from '@pq/core/testing'
import { Worker } from '@pq/worker'
import { enqueueCli } from './enqueue-cli.js'

const db = useTestDatabase()
// Each test its own schema: counts of whole tables are then the test's own.
const schema = useSchemaPerTest(db)

/** Runs pq-enqueue as its bin would (runCli turns errors into one line and an exit code). */
function run(...argv: string[]) {
  const env = { DATABASE_URL: db.url, PQ_SCHEMA: schema.name, PQ_PATH: FIXTURES_PATH }
  return runCaptured((io) => runCli('pq-enqueue', () => enqueueCli(argv, env, io), io, argv))
}

const jobCount = async () => (await db.pool.query(`select count(*)::int as n from ${schema.name}.job`)).rows[0].n as number

describe('pq-enqueue', () => {
  it('enqueues a call, parsing arguments as JSON where they parse, and prints the id', async () => {
    const { code, out } = await run('fixtures.sayHello', 'Bob', '2', 'true', '{"a":1}', '--timeout=10')
    expect(code).toBe(0)
    const job = await new Queue('default', { connection: db.pool, schema: schema.name }).fetchJob(out.trim())
    expect(job).toMatchObject({ func: 'fixtures.sayHello', args: ['Bob', 2, true, { a: 1 }], timeout: 10, origin: 'default' })
  })

  it('takes every enqueue option', async () => {
    const dep = (await run('fixtures.add', '1', '1')).out.trim()
    const { code, out } = await run(
      'fixtures.withKwargs',
      '3',
      '--queue',
      'high',
      '--result-ttl',
      '-1',
      '--failure-ttl',
      '1h',
      '--ttl',
      '60',
      '--at-front',
      '--job-id',
      'cli-job',
      '--depends-on',
      dep,
      '--description',
      'from the cli',
      '--kwargs',
      '{"times":2}',
      '--meta',
      '{"who":"cli"}',
      '--retry',
      '2',
      '--retry-interval',
      '5',
      '--priority',
      '-7',
    )
    expect(code).toBe(0)
    expect(out.trim()).toBe('cli-job')
    const job = await new Queue('high', { connection: db.pool, schema: schema.name }).fetchJob('cli-job')
    expect(job).toMatchObject({
      origin: 'high',
      resultTtl: -1,
      failureTtl: 3600,
      ttl: 60,
      description: 'from the cli',
      kwargs: { times: 2 },
      meta: { who: 'cli' },
      retry: { max: 2, intervals: [5] },
      status: 'deferred',
      priority: -7,
    })
  })

  it('pq ships a test job that resolves anywhere', async () => {
    expect((await run('pq.utils.testJob')).code).toBe(0)
  })

  it.each([
    [['fixtures.nope'], /unknown function "fixtures\.nope": fixtures\.ts has no export "nope" \(it has .*sayHello/],
    [['nomodule.fn'], /no module nomodule\.ts.*under .*fixtures/],
    [['fixtures.add', '--kwargs', '{bad'], /--kwargs is not valid JSON .*use e\.g\. --kwargs/],
    [['fixtures.add', '--kwargs', '[1]'], /--kwargs must be a JSON object/],
    [['fixtures.add', '--timeout', 'h12'], /invalid timeout "h12"/],
    [['fixtures.add', '--queue', 'failed'], /invalid queue name "failed"/],
    [['fixtures.add', '--bogus'], /Unknown argument: bogus; see pq-enqueue --help/],
    [[], /Not enough non-option arguments.*see pq-enqueue --help/],
    [['fixtures.add', '--depends-on', 'no-such-job'], /no job with id "no-such-job"/],
    [['fixtures.add', '--priority', 'high'], /invalid --priority "high": use a whole number/],
    [['fixtures.add', '--priority', '1.5'], /invalid --priority "1\.5": use a whole number/],
    [['fixtures.add', '--priority', '9999999999'], /invalid priority 9999999999: use a whole number from -2147483648 to 2147483647/],
  ])('refuses %j with one line, exit 2, and writes nothing', async (argv, message) => {
    const before = await jobCount()
    const { code, err, out } = await run(...argv)
    expect(err).toMatch(message)
    expect(err.trim().split('\n')).toHaveLength(1)
    expect(err).not.toMatch(/\n\s+at /)
    expect(out).toBe('')
    expect(code).toBe(2)
    expect(await jobCount()).toBe(before)
  })

  it('verifies a task of an installed package named with --task-package, as the worker is given it', async () => {
    // Before, --verify only looked under --path, so a package task needed --no-verify.
    const unlisted = await run('luxon.Duration', '--queue', 'pkg-task')
    expect(unlisted.code).toBe(2)
    expect(unlisted.err).toMatch(/^pq-enqueue: unknown function "luxon.Duration"/)
    const listed = await run('luxon.Duration', '--queue', 'pkg-task', '--task-package', 'luxon')
    expect(listed).toMatchObject({ code: 0, err: '' })
  })

  it('skips the function check with --no-verify', async () => {
    const { code } = await run('only.onWorkers', '--no-verify')
    expect(code).toBe(0)
  })

  it('--wait prints the result, and exits 1 with the error when the job fails', async () => {
    const worker = new Worker({ connection: db.url, schema: schema.name, path: FIXTURES_PATH, migrate: false, queues: ['waited'] })
    const working = worker.work()
    try {
      const ok = await run('fixtures.add', '2', '3', '--queue', 'waited', '--wait', '--wait-timeout', '10')
      expect(ok).toMatchObject({ code: 0, out: '5\n' })
      const bad = await run('fixtures.fail', 'nope', '--queue', 'waited', '--wait', '--wait-timeout', '10')
      expect(bad.code).toBe(1)
      expect(bad.err).toMatch(/failed: Error: nope/)
    } finally {
      await worker.stop()
      await working
    }
  })

  it('runs as a bin: one line on stderr and exit 2 for a bad argument', () => {
    const bin = join(process.cwd(), 'packages/cli/bin/pq-enqueue.js')
    const res = spawnSync(process.execPath, [bin, 'fixtures.add', '--timeout', '0'], {
      env: { ...process.env, DATABASE_URL: db.url, PQ_SCHEMA: schema.name, PQ_PATH: FIXTURES_PATH },
      encoding: 'utf8',
    })
    expect(res.status).toBe(2)
    expect(res.stderr).toBe(
      'pq-enqueue: invalid timeout "0": must be more than zero; use seconds (e.g. 90) or a number with a unit: 15s, 30m, 1h, 2d\n',
    )
  })
})

describe('pq-enqueue limits (issue 13, item 7)', () => {
  it('refuses a result ttl or timeout beyond what a job can hold with exit 2, as the API does', async () => {
    const before = await jobCount()
    const ttl = await run('fixtures.add', '1', '2', '--result-ttl', '99999999999')
    expect(ttl.code).toBe(2)
    expect(ttl.err).toMatch(/resultTtl.*at most 2147483647 seconds/)
    const timeout = await run('fixtures.add', '1', '2', '--timeout', '1000000000000')
    expect(timeout.code).toBe(2)
    expect(timeout.err).toMatch(/timeout.*at most 2147483 seconds/)
    await expect(
      new Queue('limits', { connection: db.url, schema: schema.name }).enqueueCall({ func: 'fixtures.add', timeout: 1e12 }),
    ).rejects.toThrow(/at most 2147483 seconds/)
    expect(await jobCount()).toBe(before)
  })
})
