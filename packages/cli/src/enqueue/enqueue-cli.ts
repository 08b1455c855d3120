import { Queue, resolveFunction, InvalidOption, type EnqueueCall } from '@pq/core'
import { commandParser, withConnectionOptions, parseCommand, type CliIo } from '@pq/cli-kit'
import { readEnv } from '@pq/core/internal'
import { parseCallArguments, parseKwargs, parseMeta } from '../shared/call-arguments.js'

/**
 * `pq-enqueue FUNC [ARGS...]`: enqueues one job, after checking that FUNC resolves under the tasks
 * root, and prints its id (or, with --wait, its result).
 */
export async function enqueueCli(argv: readonly string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const parser = withConnectionOptions(commandParser('pq-enqueue', argv)
    .parserConfiguration({ 'parse-positional-numbers': false })
    .command('$0 <func> [args..]', 'Enqueue a call of FUNC (module.export) with ARGS (JSON where they parse, else strings).', (y) => y
      .positional('func', { type: 'string', describe: "The function, e.g. tasks.add or pq.utils.testJob" })
      .positional('args', { type: 'string', array: true, describe: 'Arguments: 2, true, {"a":1} parse as JSON; Bob stays a string' }))
    .option('queue', { type: 'string', alias: 'q', default: 'default', describe: 'Queue name' })
    .option('timeout', { type: 'string', describe: "Job timeout: seconds or 30s, 10m, 1h (default 600)" })
    .option('result-ttl', { type: 'string', describe: 'Keep the result this long: seconds; 0 deletes at once; -1 forever (default 500)' })
    .option('failure-ttl', { type: 'string', describe: 'Keep a failure this long (default one year)' })
    .option('ttl', { type: 'string', describe: 'Discard the job if not started within this time' })
    .option('at-front', { type: 'boolean', describe: 'Put the job before every waiting job of the queue (of its priority)' })
    .option('priority', { type: 'string', describe: 'Lower runs first: a whole number (default 0); a queue takes its jobs by priority, then in order' })
    .option('job-id', { type: 'string', describe: 'Your own id for the job' })
    .option('depends-on', { type: 'string', array: true, describe: 'Run only after this job has finished (repeatable)' })
    .option('description', { type: 'string', describe: 'Free text shown by pq-admin and the dashboard' })
    .option('kwargs', { type: 'string', describe: 'Keyword arguments as a JSON object' })
    .option('meta', { type: 'string', describe: 'Meta data as a JSON object' })
    .option('retry', { type: 'number', describe: 'Retry up to N times after a failure' })
    .option('retry-interval', { type: 'number', array: true, describe: 'Seconds between retries (repeatable; the last repeats)' })
    .option('in', { type: 'string', describe: 'Run after this delay (30s, 10m, 1h)' })
    .option('path', { type: 'string', alias: 'P', describe: 'Tasks root for module.fn names (else PQ_PATH, else the current directory)' })
    .option('verify', { type: 'boolean', default: true, describe: 'Check that FUNC resolves under --path first (--no-verify for functions only the workers have)' })
    .option('wait', { type: 'boolean', describe: 'Wait for the result and print it; exit 1 if the job fails' })
    .option('wait-timeout', { type: 'number', describe: 'With --wait: give up after this many seconds' })
    .option('json', { type: 'boolean', describe: 'Print the job (or with --wait, its result) as JSON' })
    .example('pq-enqueue pq.utils.testJob', "check that workers get work at once")
    .example('pq-enqueue fixtures.sayHello Bob --timeout=10', 'a call with one string argument')
    .example('pq-enqueue reports.build 7 --priority -10', 'run before the queue\'s priority-0 jobs')
    .example(`pq-enqueue tasks.add 1 2 --queue high --wait`, 'enqueue, wait for a worker, print 3')
    .example(`pq-enqueue emails.send --kwargs '{"to":"ada@example.com"}' --depends-on 9f1c...`, 'keyword arguments and a dependency'))
  const args = await parseCommand(parser, argv, io)
  if (!args) return 0
  const e = readEnv(env)
  const path = args.path ?? e.path ?? process.cwd()
  const call: EnqueueCall = {
    func: String(args.func),
    args: parseCallArguments((args.args as string[] | undefined) ?? []),
    kwargs: parseKwargs(args.kwargs),
    meta: parseMeta(args.meta),
    timeout: args.timeout,
    resultTtl: args['result-ttl'],
    failureTtl: args['failure-ttl'],
    ttl: args.ttl,
    atFront: args['at-front'],
    priority: args.priority === undefined ? undefined : parsePriority(args.priority),
    jobId: args['job-id'],
    dependsOn: args['depends-on'],
    description: args.description,
    in: args.in,
    retry: args.retry === undefined ? undefined : { max: args.retry, intervals: args['retry-interval'] ?? [] },
  }
  for (const key of Object.keys(call) as (keyof EnqueueCall)[]) if (call[key] === undefined) delete call[key]
  // Validate everything before writing: the function, then the options (enqueueCall checks them first).
  if (args.verify) await resolveFunction(call.func, path)
  const queue = new Queue(args.queue, { connection: args['database-url'] ?? e.databaseUrl, schema: args.schema ?? e.schema, path })
  try {
    const job = await queue.enqueueCall(call)
    if (!args.wait) {
      io.out.write(args.json ? `${JSON.stringify({ id: job.id, queue: job.origin, status: job.status })}\n` : `${job.id}\n`)
      return 0
    }
    if (!args.json) io.err.write(`Enqueued ${job.id} on ${job.origin}; waiting for a worker...\n`)
    const result = await job.waitForResult({ timeout: args['wait-timeout'] })
    io.out.write(args.json ? `${JSON.stringify({ id: job.id, status: 'finished', result })}\n` : `${typeof result === 'string' ? result : JSON.stringify(result)}\n`)
    return 0
  } finally {
    await queue.close()
  }
}

/** --priority's text as a whole number; toPriority (at enqueue) then checks its range. */
function parsePriority(text: string): number {
  if (!/^[+-]?\d+$/.test(text.trim())) {
    throw new InvalidOption('priority', `invalid --priority ${JSON.stringify(text)}: use a whole number such as -10, 0 or 5 (lower runs first)`)
  }
  return Number(text)
}
