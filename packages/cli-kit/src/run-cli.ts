import { PqError, ConnectionError, type PqErrorCode } from '@pq/core'
import { asConnectionError } from '@pq/core/internal'

/** Where a CLI writes: stdout for results, stderr for diagnostics. */
export interface CliIo {
  out: { write(text: string): unknown; isTTY?: boolean }
  err: { write(text: string): unknown; isTTY?: boolean }
}

/** Error codes that mean "your input was wrong": exit 2, as for bad usage. */
const INPUT_ERRORS = new Set<PqErrorCode>([
  'USAGE',
  'INVALID_QUEUE_NAME',
  'INVALID_ARGUMENT',
  'INVALID_OPTION',
  'INVALID_DURATION',
  'INVALID_DATE',
  'INVALID_SCHEDULE',
  'UNKNOWN_FUNCTION',
  'DEPENDENCY_CYCLE',
  'DUPLICATE_JOB_ID',
  'NO_SUCH_JOB',
  'NO_SUCH_SCHEDULE',
  'NO_SUCH_FLOW',
  'NO_SUCH_WORKER',
])

/**
 * Runs a CLI's main function and turns any error into one stderr line and an exit code: 0 success,
 * 1 the operation failed, 2 bad usage or input. A stack is printed only with --verbose.
 */
export async function runCli(name: string, main: () => Promise<number>, io: CliIo, argv: readonly string[] = []): Promise<number> {
  const verbose = argv.includes('--verbose') || argv.includes('-v')
  try {
    return await main()
  } catch (err) {
    const error = toPqError(err, argv)
    if (error instanceof PqError) {
      io.err.write(`${name}: ${error.message}\n`)
      if (verbose && error.cause instanceof Error && error.cause.stack) io.err.write(`${error.cause.stack}\n`)
      return INPUT_ERRORS.has(error.code) ? 2 : 1
    }
    const message = err instanceof Error ? err.message : String(err)
    io.err.write(`${name}: ${message.split('\n')[0]}${verbose ? '' : ' (run with --verbose for details)'}\n`)
    if (verbose && err instanceof Error && err.stack) io.err.write(`${err.stack}\n`)
    return 1
  }
}

/** Recognises connection failures (refused, unknown host, bad password, no such database), naming the flag to fix. */
function toPqError(err: unknown, argv: readonly string[]): unknown {
  if (err instanceof AggregateError && err.errors.length) return toPqError(err.errors[0], argv)
  const i = argv.indexOf('--database-url')
  const flag = argv.find((a) => a.startsWith('--database-url='))?.slice('--database-url='.length)
  const url = flag ?? (i >= 0 ? argv[i + 1] : undefined) ?? process.env.DATABASE_URL
  const error = asConnectionError(err, url)
  if (error === err || !(error instanceof ConnectionError)) return err
  return new ConnectionError(`${error.message}; check --database-url or DATABASE_URL`, { cause: error.cause })
}

/**
 * What a bin file calls: runs a CLI on process.argv with process streams, sets process.exitCode
 * (so output drains), and treats a closed stdout (`| head`) as a normal end.
 */
export async function runBin(
  name: string,
  main: (argv: readonly string[], env: Record<string, string | undefined>, io: CliIo) => Promise<number>,
): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  })
  const argv = process.argv.slice(2)
  const io = { out: process.stdout, err: process.stderr }
  process.exitCode = await runCli(name, () => main(argv, process.env, io), io, argv)
}
