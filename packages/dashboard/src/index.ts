/** @pq/dashboard: pq's web dashboard, a node:http server rendering HTML over the queue. */
export { createDashboard, type Dashboard, type DashboardOptions } from './dashboard.js'
export { dashboardCli } from './dashboard-cli.js'
