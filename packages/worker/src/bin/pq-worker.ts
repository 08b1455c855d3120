import { runBin } from '@pq/core/cli'
import { workerCli } from '../cli/worker-cli.js'

await runBin('pq-worker', (argv, env, io) => workerCli(argv, env, io, {
  onSignal: (signal, handler) => process.on(signal, handler),
}))
