import { runBin } from '@pq/core/cli'
import { migrateCli } from '../migrate/migrate-cli.js'

await runBin('pq-migrate', migrateCli)
