import { runBin } from '@pq/cli-kit'
import { scheduleCli } from '../schedule/schedule-cli.js'

await runBin('pq-schedule', scheduleCli)
