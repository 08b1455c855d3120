/** @pq/cli: pq's command-line shells, as functions tests can call. */
export { migrateCli } from './migrate/migrate-cli.js'
export { enqueueCli } from './enqueue/enqueue-cli.js'
export { statsCli } from './stats/stats-cli.js'
export { adminCli } from './admin/admin-cli.js'
export { scheduleCli } from './schedule/schedule-cli.js'
