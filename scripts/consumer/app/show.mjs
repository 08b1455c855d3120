// Prints each job's status, result and first line of exc_info as JSON (null for a missing job).
import { Queue } from '@pq/core'

const queue = new Queue('default', { connection: process.env.DATABASE_URL })
const jobs = {}
for (const id of process.argv.slice(2)) {
  const job = await queue.fetchJob(id)
  jobs[id] = job ? { status: job.status, result: job.result, excInfo: job.excInfo?.split('\n')[0] ?? null } : null
}
await queue.close()
console.log(JSON.stringify(jobs))
