import { runBin } from '@pq/core/cli'
import { enqueueCli } from '../enqueue/enqueue-cli.js'

await runBin('pq-enqueue', enqueueCli)
