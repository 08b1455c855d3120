// An ESM application: enqueues inside its own pg transaction (one committed, one rolled back).
import pg from 'pg'
import { Queue } from '@pq/core'

const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
await client.connect()
const queue = new Queue('default', { connection: process.env.DATABASE_URL })
await client.query('begin')
const kept = await queue.using(client).enqueue('tasks.add', 2, 3)
await client.query('commit')
await client.query('begin')
const dropped = await queue.using(client).enqueue('tasks.add', 4, 5)
await client.query('rollback')
// Importing pq changed nothing global: the application's own int8 stays a string.
const { rows } = await client.query('select 1::int8 as n')
await client.end()
await queue.close()
console.log(JSON.stringify({ kept: kept.id, dropped: dropped.id, int8: rows[0].n }))
