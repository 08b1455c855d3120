import { runBin } from '@pq/cli-kit'
import { workerCli } from '../cli/worker-cli.js'

await runBin('pq-worker', (argv, env, io) =>
  workerCli(argv, env, io, {
    onSignal: (signal, handler) => process.on(signal, handler),
  }),
)
// The worker has stopped, but a task that ignored its AbortSignal (timed out, or stopped at once)
// may still hold the event loop: its job is settled or back in its queue, so end the process now.
process.stdout.write('', () => process.exit())
