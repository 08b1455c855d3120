/** @pq/dashboard: pq's web dashboard, a Node request handler to mount in your app, or a node:http server of its own. */
export {
  createDashboard,
  createDashboardHandler,
  type Dashboard,
  type DashboardOptions,
  type DashboardHandler,
  type DashboardHandlerOptions,
} from './dashboard.js'
export { prometheusText } from './prometheus.js'
export { dashboardCli } from './dashboard-cli.js'
