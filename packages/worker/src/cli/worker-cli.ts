import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { DateTime } from 'luxon'
import { NoSuchWorker, UsageError, InvalidOption, resolveFunction } from '@pq/core'
import { commandParser, withConnectionOptions, parseCommand, numberFlag, type CliIo } from '@pq/cli-kit'
import { acquirePool, queryContext, readEnv, schemaName, workerRequestStop, workerAlive, workerList, toSeconds } from '@pq/core/internal'
import { Worker } from '../worker.js'
import { DEFAULT_HEARTBEAT_TIMEOUT, DEFAULT_WORKER_TTL } from '../worker-options.js'
import { DEFAULT_JOB_TIMEOUT } from '@pq/core'
import { cliLogger } from './worker-log.js'

/** What the bin hands the CLI besides argv: signals to listen to, so tests can drive them. */
export interface WorkerCliProcess {
  onSignal(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void
}

const EXAMPLES: [string, string][] = [
  ['pq-worker', 'serve every queue, waiting for work'],
  ['pq-worker high default low --concurrency 4', 'serve three queues in priority order, 4 jobs at a time'],
  ['pq-worker default --burst', 'run until the queue is empty, then exit'],
  ['pq-worker --terminate', 'ask every live worker to stop after its current jobs, and wait'],
  ['pq-worker --stop myhost.1234', 'ask one worker to stop'],
]

/**
 * `pq-worker [queues...]`: runs a worker until stopped (or, with --burst, until no served queue has
 * runnable work). Returns the exit code.
 */
export async function workerCli(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIo,
  proc: WorkerCliProcess,
): Promise<number> {
  const parser = withConnectionOptions(
    commandParser('pq-worker', argv)
      .command('$0 [queues..]', 'Run pq jobs: serve the queues listed (highest priority first), or every queue.', (y) =>
        y.positional('queues', { type: 'string', array: true, describe: 'Queues to serve, highest priority first' }),
      )
      .option('burst', { type: 'boolean', alias: 'b', describe: 'Exit once the queues have nothing runnable' })
      .option('concurrency', { type: 'string', alias: 'c', describe: 'Jobs at once in this process (default 1)' })
      .option('name', { type: 'string', alias: 'n', describe: 'Worker name, unique among live workers (default host.pid)' })
      .option('path', { type: 'string', alias: 'P', describe: 'Tasks root for module.fn names (else PQ_PATH, else the current directory)' })
      .option('task-package', {
        type: 'string',
        array: true,
        describe: 'An installed package whose exports jobs may call (pkg.fn); repeatable',
      })
      .option('worker-ttl', { type: 'string', describe: 'Seconds between polls while LISTEN works (else PQ_WORKER_TTL, default 420)' })
      .option('heartbeat-timeout', {
        type: 'string',
        describe: 'Seconds without a heartbeat before a worker is declared lost (default 60)',
      })
      .option('default-timeout', { type: 'string', describe: 'Default job timeout (else PQ_DEFAULT_JOB_TIMEOUT, default 600)' })
      .option('exception-handler', {
        type: 'string',
        array: true,
        describe: 'module.fn called with (job, error) after a final failure; repeatable, in order',
      })
      .option('isolate', { type: 'boolean', describe: 'Run each job in a thread that is killed at its timeout' })
      .option('migrate', { type: 'boolean', default: true, describe: 'Apply pending migrations at start (--no-migrate to only check)' })
      .option('listen', { type: 'boolean', default: true, describe: 'Use LISTEN/NOTIFY (--no-listen polls, for transaction-mode poolers)' })
      .option('terminate', { type: 'boolean', describe: 'Ask every live worker to stop after its current jobs; wait until they have' })
      .option('stop', { type: 'string', describe: 'Ask the worker NAME to stop after its current jobs; wait until it has' })
      .option('quiet', { type: 'boolean', alias: 'q', describe: 'Print only warnings and errors' })
      .option('json', { type: 'boolean', describe: 'Log one JSON object per line' }),
  )
  for (const [cmd, what] of EXAMPLES) parser.example(cmd, what)
  const args = await parseCommand(parser, argv, io)
  if (!args) return 0
  const e = readEnv(env)
  const connection = args['database-url'] ?? e.databaseUrl
  const schema = schemaName(args.schema ?? e.schema)
  // Flag values are checked here, under their flag names, before the Worker sees them as options.
  const heartbeatTimeout = toSeconds('--heartbeat-timeout', args['heartbeat-timeout'] ?? DEFAULT_HEARTBEAT_TIMEOUT)
  if (args.terminate && args.stop !== undefined) {
    throw new UsageError(
      '--stop NAME and --terminate cannot go together: --stop asks one worker, --terminate every live worker; pass one of them',
    )
  }
  if (args.terminate || args.stop !== undefined) return stopWorkers(args.stop ?? null, connection, schema, heartbeatTimeout, io)
  const queues = ((args.queues as string[] | undefined) ?? []).map(String)
  const concurrency = numberFlag('--concurrency', args.concurrency, { min: 1, max: 1000, integer: true, example: '4' })
  const workerTtl = toSeconds(
    args['worker-ttl'] === undefined ? 'PQ_WORKER_TTL' : '--worker-ttl',
    args['worker-ttl'] ?? e.workerTtl ?? DEFAULT_WORKER_TTL,
  )
  const defaultTimeout = toSeconds(
    args['default-timeout'] === undefined ? 'PQ_DEFAULT_JOB_TIMEOUT' : '--default-timeout',
    args['default-timeout'] ?? e.defaultJobTimeout ?? DEFAULT_JOB_TIMEOUT,
  )
  const path = checkedPath(args.path, e.path)
  // A handler that does not resolve would only show once a job fails: find out now.
  for (const handler of args['exception-handler'] ?? []) await resolveFunction(String(handler), path)
  const worker = new Worker({
    queues,
    connection,
    schema,
    burst: args.burst,
    concurrency,
    name: args.name,
    path,
    taskPackages: args['task-package'] ?? [],
    workerTtl,
    heartbeatTimeout,
    defaultTimeout,
    exceptionHandlers: args['exception-handler'],
    isolate: args.isolate,
    migrate: args.migrate,
    listen: args.listen,
    logger: cliLogger(io, { level: args.quiet ? 'quiet' : args.verbose ? 'verbose' : 'normal', json: args.json ?? false }),
  })
  let signals = 0
  const onSignal = () => {
    signals++
    if (signals === 1) {
      if (!args.quiet) io.err.write('pq-worker: stopping after the jobs in hand (signal again to stop at once)\n')
      void worker.stop('graceful', 'Warm shut down')
    } else {
      if (!args.quiet) io.err.write('pq-worker: stopping at once; jobs in hand go back to their queue\n')
      void worker.stop('now', 'Cold shut down')
    }
  }
  proc.onSignal('SIGINT', onSignal)
  proc.onSignal('SIGTERM', onSignal)
  await worker.work()
  return 0
}

/** The tasks root: --path, else PQ_PATH, else the current directory; refused when it is not a directory. */
function checkedPath(flag: string | undefined, fromEnv: string | undefined): string {
  const path = flag ?? fromEnv ?? process.cwd()
  const source = flag !== undefined ? '--path' : fromEnv !== undefined ? 'PQ_PATH' : 'the current directory'
  let isDirectory = false
  try {
    isDirectory = statSync(path).isDirectory()
  } catch {
    // missing or unreadable: reported below
  }
  if (!isDirectory)
    throw new InvalidOption(
      'path',
      `${source} ${JSON.stringify(path)} is not a directory (${resolve(path)}); give the folder your task modules live in`,
    )
  return path
}

/**
 * --terminate / --stop NAME: ask, then block until the workers asked have deregistered. A worker
 * silent for the heartbeat timeout is dead (kill -9): it is neither asked nor waited for.
 */
async function stopWorkers(
  name: string | null,
  connection: string | undefined,
  schema: string,
  liveSeconds: number,
  io: CliIo,
): Promise<number> {
  if (name === '') throw new UsageError('--stop needs a worker name; pq-admin workers lists them')
  const { pool, release } = acquirePool(connection, undefined)
  try {
    const ctx = queryContext(pool, schema)
    const asked = (await workerRequestStop(ctx, { names: name === null ? null : [name], liveSeconds })).sort()
    if (name !== null && asked.length === 0) {
      throw new NoSuchWorker(name, await workerAlive(ctx, { names: (await workerList(ctx)).map((w) => w.name), liveSeconds }))
    }
    if (asked.length === 0) {
      io.out.write('No live workers.\n')
      return 0
    }
    io.out.write(`Asked ${asked.length} worker${asked.length === 1 ? '' : 's'} to stop: ${asked.join(', ')}\n`)
    const started = DateTime.utc()
    let alive = asked
    while (alive.length > 0) {
      await new Promise((r) => setTimeout(r, 200))
      alive = await workerAlive(ctx, { names: alive, liveSeconds })
    }
    io.out.write(`All stopped (${Math.round(DateTime.utc().diff(started).as('seconds'))}s).\n`)
    return 0
  } finally {
    await release()
  }
}
