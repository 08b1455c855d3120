import yargs, { type Argv, type ArgumentsCamelCase } from 'yargs'
import type { CliIo } from './run-cli.js'
import { UsageError } from '@pq/core'

/**
 * A yargs parser set up the way every pq command wants it: strict (unknown flags are errors), no
 * process exit, and failures thrown as a one-line UsageError naming the command's --help.
 */
export function commandParser(name: string, argv: readonly string[]): Argv {
  return yargs([...argv])
    .scriptName(name)
    .strict()
    .exitProcess(false)
    .version(false)
    .help('help')
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message, error) => {
      throw error instanceof Error && !message ? error : new UsageError(`${message ?? error?.message}; see ${name} --help`)
    })
}

/** The connection flags every command shares. */
export function withConnectionOptions<T>(parser: Argv<T>) {
  return parser
    .option('database-url', { type: 'string', describe: 'Postgres connection string (else DATABASE_URL, else PG* variables)' })
    .option('schema', { type: 'string', describe: "pq's schema (else PQ_SCHEMA, else 'pq')" })
    .option('verbose', { type: 'boolean', alias: 'v', describe: 'More output; stack traces on errors' })
}

/** True when the command line asks for --help: the command should print it and exit 0. */
export function helpShown(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h')
}

/** What a command's parser yields. */
type Parsed<T> = ArgumentsCamelCase<T>

/**
 * Parses a command line, or prints the command's help to stdout and returns undefined when it asks
 * for --help (the command then exits 0).
 */
export async function parseCommand<T>(parser: Argv<T>, argv: readonly string[], io: CliIo): Promise<Parsed<T> | undefined> {
  const args: Parsed<T> = await parser.parseAsync()
  if (!helpShown(argv)) return args
  io.out.write(`${await parser.getHelp()}\n`)
  return undefined
}
