// A TypeScript application: arguments and results are checked against the declared tasks.
import { Queue, job, type Job } from '@pq/core'
import { Worker } from '@pq/worker'
import { add, greet } from './tasks.js'

const queue = new Queue('default', { connection: process.env.DATABASE_URL })
const sum: Job<number> = await queue.enqueue('typed.tasks.add', 1, 2)
const total: number = await sum.waitForResult({ timeout: 30 })
const hello = await queue.enqueueCall({ func: 'typed.tasks.greet', args: ['Ada'], timeout: '30s' })
const greeting: string | undefined = hello.result?.greeting
// Names nobody declared stay allowed, untyped.
await queue.enqueue('reports.nightly', { any: 'thing' })
// job() gives a typed .delay().
const double = job({ queue, func: 'typed.app.double' }, (n: number) => n * 2)
const doubled: Job<number> = await double.delay(21)
// A worker with its tasks as a map: no files needed (a bundled app).
const worker = new Worker({ queues: ['default'], burst: true, tasks: { 'typed.tasks.add': add, 'typed.tasks.greet': greet } })
await worker.work()
await queue.close()
export { total, greeting, doubled }
