// pq-bench-startup [runs]: prints the start-up table (DATABASE_URL, else an embedded Postgres).
import { measureStartup, startupTable } from './startup-cost.js'

const runs = Number(process.argv[2] ?? 15)
let url = process.env.DATABASE_URL
let stop: (() => Promise<void>) | undefined
if (!url) {
  const { startEmbeddedPostgres } = await import('@pq/core/testing')
  const embedded = await startEmbeddedPostgres()
  url = embedded.url
  stop = () => embedded.stop()
}
try {
  process.stdout.write(
    `start-up wall time, ${runs} runs each, interleaved (node ${process.version})\n${startupTable(measureStartup(url, runs))}\n`,
  )
} finally {
  await stop?.()
}
