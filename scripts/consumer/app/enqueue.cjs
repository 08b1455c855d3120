// A CommonJS application: require() of pq's ESM build (Node >= 20.19 loads it synchronously).
const { Queue } = require('@pq/core')

async function main() {
  const queue = new Queue('default', { connection: process.env.DATABASE_URL })
  const job = await queue.enqueue(process.argv[2] ?? 'tasks.add', 10, 20)
  await queue.close()
  console.log(job.id)
}
main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
