/**
 * Jest global setup: a Postgres for the whole run (DATABASE_URL, else an embedded one), and a template
 * database migrated once, from which every test file clones its own database.
 */
import pg from 'pg'
import { startEmbeddedPostgres } from './embedded-postgres.js'
import { migrate } from '../migrate/migrator.js'

declare global {
  var __pqEmbedded: { stop(): Promise<void> } | undefined
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

export default async function globalSetup(): Promise<void> {
  let url = process.env.DATABASE_URL
  if (!url) {
    const embedded = await startEmbeddedPostgres()
    globalThis.__pqEmbedded = embedded
    url = embedded.url
    process.env.PQ_TEST_EMBEDDED = '1'
  }
  process.env.PQ_TEST_SERVER_URL = url
  // Unique per run: several jest runs may share one server.
  const template = `pq_tpl_${process.pid}_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query(`create database ${template}`)
    await migrate(withDatabase(url, template), { schema: 'pq' })
    await admin.query(`alter database ${template} is_template true`)
  } finally {
    await admin.end()
  }
  process.env.PQ_TEST_TEMPLATE = template
}
