/** Jest global teardown: drops the template database and stops the embedded Postgres, if any. */
import pg from 'pg'

export default async function globalTeardown(): Promise<void> {
  const url = process.env.PQ_TEST_SERVER_URL
  const template = process.env.PQ_TEST_TEMPLATE
  if (url && template) {
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    try {
      await admin.query(`alter database ${template} is_template false`)
      await admin.query(`drop database if exists ${template} with (force)`)
    } finally {
      await admin.end()
    }
  }
  await globalThis.__pqEmbedded?.stop()
}
