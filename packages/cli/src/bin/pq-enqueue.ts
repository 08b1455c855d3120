import { runBin } from '@pq/cli-kit'
import { enqueueCli } from '../enqueue/enqueue-cli.js'

await runBin('pq-enqueue', enqueueCli)
