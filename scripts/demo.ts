/**
 * pq's Quick start demo: migrates, enqueues a few jobs (one inside a transaction that commits, one
 * inside a transaction that rolls back), runs a burst worker, and prints what became of each job.
 * Uses DATABASE_URL when set, else starts an embedded Postgres and removes it afterwards.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { Queue, migrate, closePools, type Job } from '@pq/core'
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@pq/core/testing'
import { Worker } from '@pq/worker'

const tasks = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'demo')
const say = (text: string) => process.stdout.write(`${text}\n`)

let embedded: EmbeddedPostgresHandle | undefined
let url = process.env.DATABASE_URL
if (!url) {
  say('Starting an embedded Postgres (set DATABASE_URL to use your own)...')
  embedded = await startEmbeddedPostgres()
  url = embedded.url
}
const schema = 'pq_demo'
try {
  await migrate(url, { schema })
  const pool = new pg.Pool({ connectionString: url })
  // An idle client may see the embedded server stop before the pool has ended: not an error here.
  pool.on('error', () => {})
  const queue = new Queue('default', { connection: pool, schema })
  await queue.empty()

  const jobs: [string, Job | string][] = []
  jobs.push(['plain enqueue', await queue.enqueue('tasks.add', 2, 3)])
  jobs.push(['with kwargs and progress', await queue.enqueueCall({ func: 'tasks.resize', args: ['cat.png'], kwargs: { width: 640 } })])
  jobs.push(['a failing task', await queue.enqueue('tasks.explode')])

  // The application's own transaction: the job exists exactly when the transaction commits.
  const client = await pool.connect()
  await client.query('begin')
  await client.query('create temp table signup (email text)')
  await client.query(`insert into signup values ('ada@example.com')`)
  jobs.push(['inside a transaction that commits', await queue.using(client).enqueue('tasks.sendWelcome', 'ada@example.com')])
  await client.query('commit')
  await client.query('begin')
  const rolledBack = await queue.using(client).enqueue('tasks.sendWelcome', 'nobody@example.com')
  await client.query('rollback')
  client.release()
  jobs.push(['inside a transaction that rolls back', rolledBack.id])

  say(`Enqueued ${jobs.length} jobs; running a burst worker on "default"...\n`)
  const worker = new Worker({ queues: ['default'], connection: pool, schema, path: tasks, burst: true, concurrency: 2 })
  worker.on('job:started', (job) => say(`  started  ${job.callString}`))
  await worker.work()
  say('')
  for (const [what, job] of jobs) {
    const id = typeof job === 'string' ? job : job.id
    const now = await queue.fetchJob(id)
    const outcome = !now
      ? 'never existed: the rollback took it away'
      : now.status === 'finished'
        ? `finished, result ${JSON.stringify(now.result)}${Object.keys(now.meta).length ? `, meta ${JSON.stringify(now.meta)}` : ''}`
        : now.status === 'failed'
          ? `failed: ${now.excInfo?.split('\n')[0]}`
          : now.status
    say(`${what.padEnd(38)} -> ${outcome}`)
  }
  await queue.close()
  await pool.end()
} finally {
  await closePools()
  await embedded?.stop()
}
