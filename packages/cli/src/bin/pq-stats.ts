import { runBin } from '@pq/core/cli'
import { statsCli } from '../stats/stats-cli.js'

await runBin('pq-stats', statsCli)
