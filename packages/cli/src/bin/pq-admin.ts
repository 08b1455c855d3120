import { runBin } from '@pq/cli-kit'
import { adminCli } from '../admin/admin-cli.js'

await runBin('pq-admin', (argv, env, io) => adminCli(argv, env, { ...io, in: process.stdin }))
