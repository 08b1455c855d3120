import { commandParser, withConnectionOptions, parseCommand, numberFlag, type CliIo } from '@pq/cli-kit'
import { readEnv } from '@pq/core/internal'
import { createDashboard, type Dashboard } from './dashboard.js'

/**
 * `pq-dashboard`: serves the dashboard until the process is stopped. Returns the running dashboard
 * (the bin closes it on SIGINT/SIGTERM), or undefined after --help.
 */
export async function dashboardCli(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<Dashboard | undefined> {
  const parser = withConnectionOptions(
    commandParser('pq-dashboard', argv)
      .usage(
        '$0 [options]\n\nA web page over pq: queues, jobs, workers, flows and schedules, with requeue, delete, cancel\nand stop-worker actions. Listens on 127.0.0.1 unless told otherwise; any other address needs a token.',
      )
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
      .option('port', { type: 'string', default: '8080', describe: 'Port (0: any free port)' })
      .option('auth-token', { type: 'string', describe: 'Token required on every request (else PQ_DASHBOARD_TOKEN)' })
      .option('refresh', { type: 'string', default: '5', describe: 'Seconds between page reloads (0: never)' })
      .option('metrics', { type: 'boolean', default: false, describe: 'Also serve Prometheus text at /metrics (same token as the pages)' })
      .example('pq-dashboard', 'http://127.0.0.1:8080/')
      .example(
        'PQ_DASHBOARD_TOKEN=$(openssl rand -hex 16) pq-dashboard --host 0.0.0.0',
        'on the network; open http://HOST:8080/?token=… once',
      ),
  )
  const args = await parseCommand(parser, argv, io)
  if (!args) return undefined
  const e = readEnv(env)
  const port = numberFlag('--port', args.port, { min: 0, max: 65535, integer: true, example: '8080' })
  const refresh = numberFlag('--refresh', args.refresh, { min: 0, max: 3600, example: '5 (0 turns reloads off)' })
  const dashboard = createDashboard({
    connection: args['database-url'] ?? e.databaseUrl,
    schema: args.schema ?? e.schema,
    host: args.host,
    port,
    authToken: args['auth-token'] ?? e.dashboardToken,
    refreshSeconds: refresh,
    metrics: args.metrics,
    onError: (line) => io.err.write(`pq-dashboard: ${line}\n`),
  })
  const url = await dashboard.listen().catch(async (err: unknown) => {
    // The pool that checked the schema would keep the process alive for its idle timeout (10 s).
    await dashboard.close()
    throw err
  })
  io.out.write(
    `pq-dashboard: serving ${url}${(args['auth-token'] ?? e.dashboardToken) ? ' (token required: open it once with ?token=…)' : ''}\n`,
  )
  return dashboard
}
