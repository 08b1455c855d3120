import { migrate, LATEST_VERSION } from '@pq/core'
import { commandParser, withConnectionOptions, parseCommand, type CliIo } from '@pq/cli-kit'
import { readEnv } from '@pq/core/internal'

/** `pq-migrate`: applies pending migrations to pq's schema (safe to run from many places at once). */
export async function migrateCli(argv: readonly string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const parser = withConnectionOptions(commandParser('pq-migrate', argv)
    .usage('$0 [options]\n\nCreate or upgrade pq\'s tables. Runs in one transaction under an advisory lock.')
    .option('json', { type: 'boolean', describe: 'Print the result as JSON' })
    .example('pq-migrate', 'migrate the schema pq in DATABASE_URL')
    .example('pq-migrate --schema app2 --database-url postgres://localhost/shop', 'a second application in the same database'))
  const args = await parseCommand(parser, argv, io)
  if (!args) return 0
  const e = readEnv(env)
  const result = await migrate(args['database-url'] ?? e.databaseUrl, { schema: args.schema ?? e.schema })
  if (args.json) io.out.write(`${JSON.stringify(result)}\n`)
  else if (result.applied.length) io.out.write(`Schema "${result.schema}": applied migration${result.applied.length > 1 ? 's' : ''} ${result.applied.join(', ')}; now at ${result.version} of ${LATEST_VERSION}.\n`)
  else io.out.write(`Schema "${result.schema}" is up to date (migration ${result.version}).\n`)
  return 0
}
