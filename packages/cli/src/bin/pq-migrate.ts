import { runBin } from '@pq/cli-kit'
import { migrateCli } from '../migrate/migrate-cli.js'

await runBin('pq-migrate', migrateCli)
