import { migrate, LATEST_VERSION, UsageError } from '@pq/core'
import { commandParser, withConnectionOptions, parseCommand, type CliIo } from '@pq/cli-kit'
import { readEnv, schemaName } from '@pq/core/internal'

/** `pq-migrate`: applies pending migrations to pq's schema (safe to run from many places at once). */
export async function migrateCli(argv: readonly string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const parser = withConnectionOptions(
    commandParser('pq-migrate', argv)
      .usage("$0 [options]\n\nCreate or upgrade pq's tables. Runs in one transaction under an advisory lock.")
      .option('json', { type: 'boolean', describe: 'Print the result as JSON' })
      .option('allow-public', { type: 'boolean', describe: "Allow --schema public (pq's tables job, queue, worker... beside your own)" })
      .example('pq-migrate', 'migrate the schema pq in DATABASE_URL')
      .example('pq-migrate --schema app2 --database-url postgres://localhost/shop', 'a second application in the same database'),
  )
  const args = await parseCommand(parser, argv, io)
  if (!args) return 0
  const e = readEnv(env)
  const schema = schemaName(args.schema ?? e.schema)
  if (schema === 'public' && !args['allow-public']) {
    throw new UsageError(
      `refusing --schema public: pq's tables (job, queue, worker, schedule, flow, migration) would sit among your own; use a schema of pq's own (the default, pq), or pass --allow-public`,
    )
  }
  const result = await migrate(args['database-url'] ?? e.databaseUrl, { schema })
  if (args.json) io.out.write(`${JSON.stringify(result)}\n`)
  else if (result.applied.length)
    io.out.write(
      `Schema "${result.schema}": applied migration${result.applied.length > 1 ? 's' : ''} ${result.applied.join(', ')}; now at ${result.version} of ${LATEST_VERSION}.\n`,
    )
  else io.out.write(`Schema "${result.schema}" is up to date (migration ${result.version}).\n`)
  return 0
}
