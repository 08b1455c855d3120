import { runCli } from '@pq/cli-kit'
import { dashboardCli } from '../dashboard-cli.js'
import type { Dashboard } from '../dashboard.js'

const io = { out: process.stdout, err: process.stderr }
const argv = process.argv.slice(2)
let dashboard: Dashboard | undefined
process.exitCode = await runCli(
  'pq-dashboard',
  async () => {
    dashboard = await dashboardCli(argv, process.env, io)
    return 0
  },
  io,
  argv,
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void dashboard?.close())
