import { runBin } from '@pq/cli-kit'
import { statsCli } from '../stats/stats-cli.js'

await runBin('pq-stats', statsCli)
