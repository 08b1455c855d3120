import { runBin } from '@pq/core/cli'
import { scheduleCli } from '../schedule/schedule-cli.js'

await runBin('pq-schedule', scheduleCli)
