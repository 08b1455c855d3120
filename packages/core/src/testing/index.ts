/** @pq/core/testing: helpers for pq's own tests and for applications testing their pq use. */
export { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres.js'
export { useTestDatabase, type TestDatabase } from './test-database.js'
export { withRollback, type RollbackTransaction } from './rollback.js'
export { useSchemaPerTest, type TestSchema } from './test-schema.js'
export { nextEvent, waitFor } from './wait.js'
export { FIXTURES_PATH } from './fixtures-path.js'
export { startPgBouncer, findPgBouncer, type PgBouncerHandle } from './pgbouncer.js'
export { sourceBin, REPO_ROOT } from './source-bin.js'
