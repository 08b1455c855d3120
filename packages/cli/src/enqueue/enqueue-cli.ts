import { Queue, resolveFunction, type EnqueueCall } from '@pq/core'
import { commandParser, withConnectionOptions, withEnqueueOptions, parseCommand, type CliIo } from '@pq/cli-kit'
import { readEnv } from '@pq/core/internal'
import { parseCallArguments, parseKwargs, enqueueOptionsFromFlags } from '../shared/call-arguments.js'

/**
 * `pq-enqueue FUNC [ARGS...]`: enqueues one job, after checking that FUNC resolves under the tasks
 * root, and prints its id (or, with --wait, its result).
 */
export async function enqueueCli(argv: readonly string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const parser = withEnqueueOptions(
    withConnectionOptions(
      commandParser('pq-enqueue', argv)
        .parserConfiguration({ 'parse-positional-numbers': false })
        .command('$0 <func> [args..]', 'Enqueue a call of FUNC (module.export) with ARGS (JSON where they parse, else strings).', (y) =>
          y
            .positional('func', { type: 'string', describe: 'The function, e.g. tasks.add or pq.utils.testJob' })
            .positional('args', { type: 'string', array: true, describe: 'Arguments: 2, true, {"a":1} parse as JSON; Bob stays a string' }),
        ),
    )
      .option('job-id', { type: 'string', describe: 'Your own id for the job' })
      .option('depends-on', { type: 'string', array: true, describe: 'Run only after this job has finished (repeatable)' })
      .option('in', { type: 'string', describe: 'Run after this delay (30s, 10m, 1h)' })
      .option('wait', { type: 'boolean', describe: 'Wait for the result and print it; exit 1 if the job fails' })
      .option('wait-timeout', { type: 'number', describe: 'With --wait: give up after this many seconds' })
      .option('json', { type: 'boolean', describe: 'Print the job (or with --wait, its result) as JSON' })
      .example('pq-enqueue pq.utils.testJob', 'check that workers get work at once')
      .example('pq-enqueue fixtures.sayHello Bob --timeout=10', 'a call with one string argument')
      .example('pq-enqueue reports.build 7 --priority -10', "run before the queue's priority-0 jobs")
      .example(`pq-enqueue tasks.add 1 2 --queue high --wait`, 'enqueue, wait for a worker, print 3')
      .example(`pq-enqueue emails.send --kwargs '{"to":"ada@example.com"}' --depends-on 9f1c...`, 'keyword arguments and a dependency'),
  )
  const args = await parseCommand(parser, argv, io)
  if (!args) return 0
  const e = readEnv(env)
  const path = args.path ?? e.path ?? process.cwd()
  const call: EnqueueCall = {
    func: String(args.func),
    args: parseCallArguments((args.args as string[] | undefined) ?? []),
    kwargs: parseKwargs(args.kwargs),
    ...enqueueOptionsFromFlags(args),
    jobId: args['job-id'],
    dependsOn: args['depends-on'],
    in: args.in,
  }
  for (const key of Object.keys(call) as (keyof EnqueueCall)[]) if (call[key] === undefined) delete call[key]
  // Validate everything before writing: the function, then the options (enqueueCall checks them first).
  if (args.verify) await resolveFunction(call.func, path, { packages: args['task-package'] ?? [] })
  const queue = new Queue(args.queue, { connection: args['database-url'] ?? e.databaseUrl, schema: args.schema ?? e.schema, path })
  try {
    const job = await queue.enqueueCall(call)
    if (!args.wait) {
      io.out.write(args.json ? `${JSON.stringify({ id: job.id, queue: job.origin, status: job.status })}\n` : `${job.id}\n`)
      return 0
    }
    if (!args.json) io.err.write(`Enqueued ${job.id} on ${job.origin}; waiting for a worker...\n`)
    const result = await job.waitForResult({ timeout: args['wait-timeout'] })
    io.out.write(
      args.json
        ? `${JSON.stringify({ id: job.id, status: 'finished', result })}\n`
        : `${typeof result === 'string' ? result : JSON.stringify(result)}\n`,
    )
    return 0
  } finally {
    await queue.close()
  }
}
