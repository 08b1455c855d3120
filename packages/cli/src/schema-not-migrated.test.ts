import { describe, expect, it } from '@jest/globals'
import { Queue, Schedule, SchemaNotMigrated, LATEST_VERSION, migrate } from '@pq/core'
import { runCli, type CliIo } from '@pq/cli-kit'
import { useTestDatabase, FIXTURES_PATH, runCaptured } from '@pq/core/testing'
import { enqueueCli } from './enqueue/enqueue-cli.js'
import { scheduleCli } from './schedule/schedule-cli.js'
import { statsCli } from './stats/stats-cli.js'
import { adminCli } from './admin/admin-cli.js'

const db = useTestDatabase()

type Main = (argv: readonly string[], env: Record<string, string | undefined>, io: CliIo) => Promise<number>

function run(name: string, main: Main, ...argv: string[]) {
  const env = { DATABASE_URL: db.url, PQ_PATH: FIXTURES_PATH }
  return runCaptured((io) => runCli(name, () => main(argv, env, io), io, argv), { stdin: process.stdin })
}

const NO_TABLES = 'schema "never_migrated" has no pq tables; run pq-migrate --schema never_migrated (or call migrate()) to install them'

describe('a schema pq was never migrated into', () => {
  it.each([
    ['pq-enqueue', enqueueCli, ['fixtures.add', '1', '--schema', 'never_migrated']],
    ['pq-schedule', scheduleCli, ['now', 'fixtures.add', '--schema', 'never_migrated']],
    ['pq-schedule', scheduleCli, ['--list', '--schema', 'never_migrated']],
    ['pq-stats', statsCli, ['--schema', 'never_migrated']],
    ['pq-admin', adminCli, ['jobs', '--schema', 'never_migrated']],
    ['pq-admin', adminCli, ['workers', '--schema', 'never_migrated']],
  ])('%s says so in one line, naming pq-migrate, exit 1', async (name, main, argv) => {
    const { code, err } = await run(name, main, ...argv)
    expect(err).toBe(`${name}: ${NO_TABLES}\n`)
    expect(code).toBe(1)
  })

  it('throws SchemaNotMigrated from the Queue and Schedule API', async () => {
    const q = new Queue('default', { connection: db.pool, schema: 'never_migrated' })
    const err = await q.enqueue('fixtures.add', 1).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SchemaNotMigrated)
    expect(err).toMatchObject({ code: 'SCHEMA_NOT_MIGRATED', schema: 'never_migrated', databaseVersion: 0, message: NO_TABLES })
    await expect(q.fetchJob('x')).rejects.toThrow(NO_TABLES)
    await expect(Schedule.list({ connection: db.pool, schema: 'never_migrated' })).rejects.toThrow(SchemaNotMigrated)
  })

  it('says "lacks pq tables" on a caller\'s connection inside its transaction, where the version cannot be read', async () => {
    const client = await db.pool.connect()
    try {
      await client.query('begin')
      const err = await new Queue('default', { schema: 'never_migrated' })
        .using(client)
        .enqueue('fixtures.add')
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SchemaNotMigrated)
      expect((err as Error).message).toBe(
        'schema "never_migrated" lacks pq tables; run pq-migrate --schema never_migrated (or call migrate()) to install them',
      )
    } finally {
      await client.query('rollback')
      client.release()
    }
  })

  it('names the migration a half-migrated schema is at', async () => {
    const { MIGRATIONS } = await import('../../core/src/migrate/migrations.generated.js')
    await migrate(db.pool, { schema: 'half', migrations: MIGRATIONS.slice(0, 1) })
    // Migration 0001 has no job.began column, which every claim reads: simulate a table a later one adds.
    await db.pool.query('drop table half.flow')
    const err = await new Queue('default', { connection: db.pool, schema: 'half' })
      .fetchJob('x')
      .then(async () => {
        const { Flow } = await import('@pq/core')
        return Flow.get('x', { connection: db.pool, schema: 'half' })
      })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SchemaNotMigrated)
    expect((err as Error).message).toBe(
      `schema "half" is at migration 1 of ${LATEST_VERSION}; run pq-migrate --schema half (or call migrate()) to install them`,
    )
  })
})
