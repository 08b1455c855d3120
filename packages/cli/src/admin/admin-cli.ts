import type { Argv } from 'yargs'
import { UsageError } from '@pq/core'
import { commandParser, withConnectionOptions, helpShown, pqVersion } from '@pq/cli-kit'
import { readEnv, acquirePool, queryContext, schemaName, type QueryContext } from '@pq/core/internal'
import type { AdminIo } from './confirm.js'
import { JOB_COMMANDS } from './job-commands.js'
import { WORKER_COMMANDS } from './worker-commands.js'

/** One pq-admin subcommand: its flags, and what it does with a database context. */
export interface AdminCommand {
  describe: string
  /** Adds the subcommand's positional arguments, flags and examples. */
  build: (parser: Argv) => Argv
  run: (ctx: QueryContext, args: Record<string, unknown>, io: AdminIo) => Promise<number>
}

const COMMANDS: Record<string, AdminCommand> = { ...JOB_COMMANDS, ...WORKER_COMMANDS }

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length))
  return [
    'Usage: pq-admin <command> [options]',
    '',
    "Inspect and repair pq's queues, jobs and workers.",
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.describe}`),
    '',
    'Connection: --database-url (else DATABASE_URL), --schema (else PQ_SCHEMA, else pq).',
    'Destructive commands (delete, empty, requeue --all-failed) ask first; --yes skips the question.',
    'Run pq-admin <command> --help for its options.',
  ].join('\n')
}

/**
 * `pq-admin <command>`: lists, shows, requeues, deletes and cancels jobs, empties queues, lists and
 * stops workers, and pings (exit 1 when a queue has no live worker: usable from monitoring).
 */
export async function adminCli(argv: readonly string[], env: Record<string, string | undefined>, io: AdminIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out.write(`${overview()}\n`)
    return name === undefined ? 2 : 0
  }
  if (name === '--version') {
    io.out.write(`pq-admin ${pqVersion()}\n`)
    return 0
  }
  const command = COMMANDS[name]
  if (!command) throw new UsageError(`unknown command "${name}"; use one of ${Object.keys(COMMANDS).join(', ')} (see pq-admin --help)`)
  const parser = command.build(withConnectionOptions(commandParser(`pq-admin ${name}`, rest)))
  // Help before parsing: with a default command ($0 <ids..>) yargs would also print it itself.
  if (helpShown(rest)) {
    io.out.write(`${await parser.getHelp()}\n`)
    return 0
  }
  const args = (await parser.parseAsync()) as Record<string, unknown>
  const e = readEnv(env)
  const schema = schemaName((args.schema as string | undefined) ?? e.schema)
  const { pool, release } = acquirePool((args['database-url'] as string | undefined) ?? e.databaseUrl, undefined)
  try {
    return await command.run(queryContext(pool, schema), args, io)
  } finally {
    await release()
  }
}
