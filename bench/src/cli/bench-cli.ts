import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import yargs from 'yargs'
import type { TextSink } from '../harness/progress.js'
import { BACKENDS, DEFAULT_REDIS_URL, SCENARIOS, UsageError, resolveBenchOptions, type ScenarioName } from '../options.js'
import { renderSvgChart } from '../report/svg-chart.js'
import { renderReport } from '../report/table.js'
import { runBench } from '../run-bench.js'

/** Where the CLI writes: results to `out`, progress and diagnostics to `err`. */
export interface CliIo {
  readonly out: TextSink
  readonly err: TextSink
}

/** Errors that are the environment's or the input's fault, printed as one line with exit 2. */
const INPUT_ERRORS = new Set(['USAGE', 'REDIS_NOT_RUNNING', 'POSTGRES_NOT_REACHABLE'])

/**
 * pq-bench as a function: parses `argv`, runs the benchmark, prints the tables (or --json), writes
 * the chart, and returns the exit code: 0 done, 1 a run failed its check or a process failed, 2 bad
 * usage or an unreachable Redis/Postgres.
 */
export async function benchCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let verbose = argv.includes('--verbose')
  try {
    const parser = buildParser(argv)
    const args = await parser.parseAsync()
    verbose = args.verbose
    if (args.help) {
      io.out.write(`${await parser.getHelp()}\n`)
      return 0
    }
    if (args.chart === '') throw new UsageError('--chart needs a file name, e.g. --chart sweep.svg')
    const options = resolveBenchOptions({
      // N is declared type: 'string' in the command's builder, which the args type does not see.
      jobs: args.N === undefined ? undefined : wholeNumber('N', args.N as string),
      workers: args.workers === undefined ? undefined : workerList([args.workers].flat().join(',')),
      sleepMs: args.sleep === undefined ? undefined : wholeNumber('--sleep', args.sleep),
      concurrency: args.concurrency === undefined ? undefined : wholeNumber('--concurrency', args.concurrency),
      backend: args.backend, // checked by resolveBenchOptions
      scenarios: args.scenario === undefined ? undefined : scenarioList(args.scenario),
      repeat: args.repeat === undefined ? undefined : wholeNumber('--repeat', args.repeat),
      prefill: args.prefill === undefined ? undefined : wholeNumber('--prefill', args.prefill),
      databaseUrl: args['database-url'] ?? env.DATABASE_URL,
      redisUrl: args['redis-url'] ?? env.REDIS_URL,
      json: args.json,
      chartFile: args.chart,
    })
    const report = await runBench(options, { out: io.out, err: io.err, env })
    io.out.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report))
    if (options.chartFile) {
      const file = resolve(options.chartFile)
      await writeFile(file, renderSvgChart(report))
      io.err.write(`chart written to ${file}\n`)
    }
    return 0
  } catch (err) {
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : null
    const message = err instanceof Error ? err.message : String(err)
    io.err.write(`pq-bench: ${message}\n`)
    if (verbose && err instanceof Error && err.stack) io.err.write(`${err.stack}\n`)
    else if (!code && !(err instanceof UsageError)) io.err.write('pq-bench: run with --verbose for the stack trace\n')
    return code && INPUT_ERRORS.has(code) ? 2 : 1
  }
}

function buildParser(argv: readonly string[]) {
  return yargs([...argv])
    .scriptName('pq-bench')
    .help(false)
    .version(false)
    .command('$0 [N]', 'pq against BullMQ on Redis, graphile-worker and a minimal SQL loop, side by side', (y) =>
      y.positional('N', {
        type: 'string',
        describe:
          'jobs per run (default: throughput 10,000; drain and drain-c1 20,000; drain-100k 100,000; latency 500; enqueue 5,000; sleep 200; write-cost 2,000)',
      }),
    )
    .options({
      workers: { alias: 'w', type: 'string', describe: 'worker processes, or a sweep: -w 4, --workers 1,2,4,6 (default 1)' },
      sleep: { type: 'string', describe: 'milliseconds each task sleeps (default 0; 250 in the sleep scenario)' },
      concurrency: { alias: 'c', type: 'string', describe: 'jobs each worker process runs at once (default 10)' },
      backend: {
        alias: 'b',
        type: 'string',
        describe: `${BACKENDS.join(', ')}, a comma list, both (pq,redis) or all: what to measure (default all)`,
      },
      scenario: { alias: 's', type: 'string', describe: `${SCENARIOS.join(', ')}, a comma list, or all (default throughput)` },
      repeat: { alias: 'r', type: 'string', describe: 'runs per backend and worker count; the table gives median (min–max) (default 3)' },
      prefill: { type: 'string', describe: 'also measure pq with this many finished jobs in its table (e.g. 1000000)' },
      json: { type: 'boolean', default: false, describe: 'print one JSON document instead of tables' },
      chart: { type: 'string', describe: 'write an SVG chart of the worker sweep to this file' },
      'database-url': { type: 'string', describe: 'Postgres (default DATABASE_URL, else embedded Postgres)' },
      'redis-url': { type: 'string', describe: `Redis for BullMQ (default REDIS_URL, else ${DEFAULT_REDIS_URL})` },
      verbose: { type: 'boolean', default: false, describe: 'print stack traces of unexpected errors' },
      help: { alias: 'h', type: 'boolean', default: false, describe: 'show this help' },
    })
    .example('$0', 'throughput: 10,000 no-op jobs, 1 worker process, pq, BullMQ, graphile-worker and limit, 3 runs each')
    .example('$0 50000 -w4 --sleep 250', "django-pq's slow-task case: 4 workers, 250 ms tasks")
    .example('$0 --scenario drain --workers 1,2,4 --chart drain.svg', 'a drain sweep, charted')
    .example('$0 --scenario all --backend pq --json', 'every scenario, pq only, for machines')
    .example('$0 --scenario drain --prefill 1000000', 'drain with a million finished jobs in the table')
    .strict()
    .wrap(110)
    .exitProcess(false)
    .fail((message, err) => {
      throw err instanceof UsageError ? err : new UsageError(oneLine(message ?? err?.message ?? 'bad arguments'))
    })
}

function oneLine(message: string): string {
  return `${message.replace(/\s*\n\s*/g, '; ')}; see pq-bench --help`
}

const EXAMPLES: Readonly<Record<string, string>> = {
  N: '20000',
  '--workers': '4 or 1,2,4,6',
  '--sleep': '250',
  '--concurrency': '10',
  '--repeat': '3',
  '--prefill': '1000000',
}

function wholeNumber(name: string, raw: string): number {
  const text = raw.replace(/_/g, '')
  if (!/^\d+$/.test(text))
    throw new UsageError(`${name} must be a whole number (e.g. ${EXAMPLES[name] ?? '10'}), got ${JSON.stringify(raw)}`)
  return Number(text)
}

function workerList(raw: string): number[] {
  return raw.split(',').map((part) => wholeNumber('--workers', part.trim()))
}

function scenarioList(raw: string): ScenarioName[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (names.includes('all')) return [...SCENARIOS]
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new UsageError(`unknown scenario ${JSON.stringify(name)}: use ${SCENARIOS.join(', ')}, a comma list of them, or all`)
    }
  }
  return names as ScenarioName[]
}
