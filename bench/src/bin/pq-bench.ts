// pq-bench: pq against BullMQ on Redis. Everything but touching `process` lives in benchCli.
import { benchCli } from '../cli/bench-cli.js'

process.exitCode = await benchCli(process.argv.slice(2), process.env, { out: process.stdout, err: process.stderr })
