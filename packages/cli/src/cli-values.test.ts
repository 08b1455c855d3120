import { describe, expect, it } from '@jest/globals'
import { runCli, type CliIo } from '@pq/cli-kit'
import { useTestDatabase, FIXTURES_PATH, runCaptured } from '@pq/core/testing'
import { enqueueCli } from './enqueue/enqueue-cli.js'
import { statsCli } from './stats/stats-cli.js'
import { adminCli } from './admin/admin-cli.js'
import { migrateCli } from './migrate/migrate-cli.js'

const db = useTestDatabase()
type Main = (argv: readonly string[], env: Record<string, string | undefined>, io: CliIo) => Promise<number>

const run = (name: string, main: Main, argv: string[], env: Record<string, string> = {}) =>
  runCaptured((io) => runCli(name, () => main(argv, { DATABASE_URL: db.url, PQ_PATH: FIXTURES_PATH, ...env }, io), io, argv))

const jobCount = async () => (await db.pool.query('select count(*)::int as n from pq.job')).rows[0].n as number

describe('CLI values: one line naming the flag, exit 2', () => {
  it.each([
    [
      'pq-stats',
      statsCli,
      ['--interval', 'abc'],
      'pq-stats: invalid --interval "abc": use a number from 0.01 to 86400, e.g. --interval 5\n',
    ],
    [
      'pq-stats',
      statsCli,
      ['--live-seconds', 'abc'],
      'pq-stats: invalid --live-seconds "abc": use a number from 1 to 86400, e.g. --live-seconds 60\n',
    ],
    [
      'pq-admin',
      adminCli,
      ['jobs', '--page', 'abc'],
      'pq-admin: invalid --page "abc": use a whole number from 1 to 1000000000, e.g. --page 2\n',
    ],
    [
      'pq-admin',
      adminCli,
      ['workers', '--live-seconds', 'abc'],
      'pq-admin: invalid --live-seconds "abc": use a number from 1 to 86400, e.g. --live-seconds 60\n',
    ],
    [
      'pq-migrate',
      migrateCli,
      ['--schema', 'pg_catalog'],
      'pq-migrate: invalid schema name "pg_catalog": names starting with pg_ belong to Postgres itself; use a schema of pq\'s own (e.g. pq, pq_app1)\n',
    ],
  ])('%s refuses a bad value: %#', async (name, main, argv, message) => {
    expect(await run(name, main, argv)).toMatchObject({ code: 2, err: message })
  })

  it('refuses pq-migrate --schema public unless --allow-public, creating nothing', async () => {
    const refused = await run('pq-migrate', migrateCli, ['--schema', 'public'])
    expect(refused.code).toBe(2)
    expect(refused.err).toMatch(/^pq-migrate: refusing --schema public: pq's tables .* or pass --allow-public\n$/)
    const { rows } = await db.pool.query(
      `select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name = 'job'`,
    )
    expect(rows[0].n).toBe(0)
    expect((await run('pq-migrate', migrateCli, ['--schema', 'public', '--allow-public'])).code).toBe(0)
    await db.pool.query(
      'drop table public.job_dependency, public.job, public.queue, public.worker, public.schedule, public.flow, public.migration cascade',
    )
  })

  it('says what is wrong with DATABASE_URL=notaurl instead of "ENOTFOUND base"', async () => {
    const { code, err } = await run('pq-stats', statsCli, [], { DATABASE_URL: 'notaurl' })
    expect(err).toBe(
      'pq-stats: invalid database URL "notaurl" (--database-url or DATABASE_URL): use postgres://user:password@host:5432/database\n',
    )
    expect(code).toBe(2)
  })

  it('refuses an integer argument beyond 2^53 rather than store it rounded, writing nothing', async () => {
    const before = await jobCount()
    const { code, err } = await run('pq-enqueue', enqueueCli, ['fixtures.add', '123456789012345678901234567890', '1'])
    expect(code).toBe(2)
    expect(err).toBe(
      `pq-enqueue: argument 1 123456789012345678901234567890 holds an integer beyond 2^53, which a JSON number cannot keep exactly; quote it to pass a string (e.g. '"123456789012345678901234567890"') or use a smaller number\n`,
    )
    expect(await jobCount()).toBe(before)
    const quoted = await run('pq-enqueue', enqueueCli, ['fixtures.add', '"123456789012345678901234567890"', '1', '--json'])
    expect(quoted.code).toBe(0)
    const id = JSON.parse(quoted.out).id as string
    expect((await db.pool.query('select args from pq.job where id = $1', [id])).rows[0].args).toEqual(['123456789012345678901234567890', 1])
  })
})
