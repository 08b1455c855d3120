import { readFileSync } from 'node:fs'
import yargs, { type Argv, type ArgumentsCamelCase } from 'yargs'
import type { CliIo } from './run-cli.js'
import { UsageError } from '@pq/core'
import { DEFAULT_LIVE_SECONDS } from '@pq/core/internal'

/**
 * A yargs parser set up the way every pq command wants it: strict (unknown flags are errors), no
 * process exit, and failures thrown as a one-line UsageError naming the command's --help.
 */
export function commandParser(name: string, argv: readonly string[]): Argv {
  const parser = yargs([...argv])
    .scriptName(name)
    .strict()
    .exitProcess(false)
    .version(false)
    .option('version', { type: 'boolean', describe: "Print pq's version and exit" })
    .help('help')
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message, error) => {
      throw error instanceof Error && !message ? error : new UsageError(`${message ?? error?.message}; see ${name} --help`)
    })
  names.set(parser, name)
  return parser
}

const names = new WeakMap<object, string>()

/** pq's version, from the package this file ships in (read once, when first asked). */
let version: string | undefined
export function pqVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
  return version
}

/** The connection flags every command shares. */
export function withConnectionOptions<T>(parser: Argv<T>) {
  return parser
    .option('database-url', { type: 'string', describe: 'Postgres connection string (else DATABASE_URL, else PG* variables)' })
    .option('schema', { type: 'string', describe: "pq's schema (else PQ_SCHEMA, else 'pq')" })
    .option('verbose', { type: 'boolean', alias: 'v', describe: 'More output; stack traces on errors' })
}

/**
 * The job option flags of every command that makes jobs (pq-enqueue, and pq-schedule for each run's
 * job), with one help text each; the command adds its own (--job-id, --wait, --interval, ...).
 */
export function withEnqueueOptions<T>(parser: Argv<T>) {
  return parser
    .option('queue', { type: 'string', alias: 'q', default: 'default', describe: 'Queue the job goes to' })
    .option('timeout', { type: 'string', describe: "Job timeout: seconds or 30s, 10m, 1h (default: the worker's, 600 s)" })
    .option('result-ttl', { type: 'string', describe: 'Keep the result this long: seconds; 0 deletes at once; -1 forever (default 500)' })
    .option('failure-ttl', { type: 'string', describe: 'Keep a failure this long (default one year)' })
    .option('ttl', { type: 'string', describe: 'Discard the job if not started within this time' })
    .option('at-front', { type: 'boolean', describe: 'Put the job before every waiting job of the queue (of its priority)' })
    .option('priority', {
      type: 'string',
      describe: 'Lower runs first: a whole number (default 0); a queue takes its jobs by priority, then in order',
    })
    .option('description', { type: 'string', describe: 'Free text shown by pq-admin and the dashboard' })
    .option('kwargs', { type: 'string', describe: 'Keyword arguments as a JSON object' })
    .option('meta', { type: 'string', describe: 'Meta data as a JSON object' })
    .option('retry', { type: 'number', describe: 'Retry up to N times after a failure' })
    .option('retry-interval', { type: 'number', array: true, describe: 'Seconds between retries (repeatable; the last repeats)' })
    .option('path', { type: 'string', alias: 'P', describe: 'Tasks root for module.fn names (else PQ_PATH, else the current directory)' })
    .option('task-package', {
      type: 'string',
      array: true,
      describe: 'An installed package whose exports FUNC may be (pkg.fn), as given to pq-worker; repeatable',
    })
    .option('verify', {
      type: 'boolean',
      default: true,
      describe: 'Check that FUNC resolves under --path (or in a --task-package) first (--no-verify for functions only the workers have)',
    })
}

/** True when the command line asks for --help: the command should print it and exit 0. */
export function helpShown(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h')
}

/** What a command's parser yields. */
type Parsed<T> = ArgumentsCamelCase<T>

/** True when the command line asks for --version. */
export function versionShown(argv: readonly string[]): boolean {
  return argv.includes('--version')
}

/**
 * Parses a command line, or prints the command's help (--help) or pq's version (--version) to
 * stdout and returns undefined (the command then exits 0). Help is printed here, without parsing:
 * parsing --help makes yargs print it too, so it appeared twice.
 */
export async function parseCommand<T>(parser: Argv<T>, argv: readonly string[], io: CliIo): Promise<Parsed<T> | undefined> {
  if (helpShown(argv)) {
    io.out.write(`${await parser.getHelp()}\n`)
    return undefined
  }
  if (versionShown(argv)) {
    io.out.write(`${names.get(parser) ?? 'pq'} ${pqVersion()}\n`)
    return undefined
  }
  return parser.parseAsync()
}

/**
 * Reads a numeric flag declared `type: 'string'` (yargs turns `abc` into NaN for number flags, which
 * then reads as "null" or "NaN" in messages): the number, undefined when the flag is absent, or a
 * one-line UsageError naming the flag, what it got and what would do.
 */
export function numberFlag(
  flag: string,
  value: string | number | undefined,
  range: { min: number; max: number; integer?: boolean; example: string },
): number | undefined {
  if (value === undefined) return undefined
  const text = String(value).trim()
  const n = text === '' ? Number.NaN : Number(text)
  const kind = range.integer ? 'a whole number' : 'a number'
  if (!Number.isFinite(n) || (range.integer && !Number.isInteger(n)) || n < range.min || n > range.max) {
    throw new UsageError(
      `invalid ${flag} ${JSON.stringify(String(value))}: use ${kind} from ${range.min} to ${range.max}, e.g. ${flag} ${range.example}`,
    )
  }
  return n
}

/** The --live-seconds flag of the commands that tell live workers from lost ones (pq-stats, pq-admin's worker commands). */
export const liveSecondsOption = {
  type: 'string',
  default: String(DEFAULT_LIVE_SECONDS),
  describe: 'A worker is live if it heartbeat within this many seconds',
} as const

/** Reads --live-seconds (declared with liveSecondsOption, so it has its default when absent). */
export const liveSecondsFlag = (value: string | number | undefined): number =>
  numberFlag('--live-seconds', value, { min: 1, max: 86400, example: '60' }) ?? DEFAULT_LIVE_SECONDS
