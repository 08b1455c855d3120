import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { JOB_STATUSES, InvalidOption, Schedule, checkSchema, type ConnectionOption, type JobStatus } from '@pq/core'
import {
  acquirePool, queryContext, schemaName, readEnv, jobFetch, jobList, jobRequeue, deleteJobs, jobCancel, jobDataFromRow,
  workerList, workerRequestStop, collectQueueStats, statsPing, statsStartedByWorker, statsThroughput, statsFlowList,
  statsScheduleList, DEFAULT_LIVE_SECONDS, type QueryContext,
} from '@pq/core/internal'
import { checkExposure, authorized, hostAllowed, Csrf, TOKEN_COOKIE, sameOriginPath } from './security.js'
import { fillBuckets, throughputSvg } from './chart.js'
import type { PageContext } from './layout.js'
import { overviewPage, queuePage, jobPage, workersPage, flowsPage, schedulesPage, messagePage, type WorkerView } from './pages.js'

/** Options of `createDashboard`. */
export interface DashboardOptions {
  /** The database. @defaultValue DATABASE_URL, else libpq's PG* variables */
  connection?: ConnectionOption
  /** pq's schema. @defaultValue PQ_SCHEMA, else 'pq' */
  schema?: string
  /** Address to listen on; anything but loopback needs `authToken`. @defaultValue '127.0.0.1' */
  host?: string
  /** Port; 0 picks a free one. @defaultValue 8080 */
  port?: number
  /** Token every request must carry (`?token=` once, then a cookie; or `Authorization: Bearer`). @defaultValue PQ_DASHBOARD_TOKEN, else none */
  authToken?: string
  /** Secret the CSRF token derives from; give the same one to processes behind one address. @defaultValue random per process */
  secret?: string
  /** Seconds between automatic page reloads; 0 turns them off. @defaultValue 5 */
  refreshSeconds?: number
  /** Minutes of history in the throughput chart. @defaultValue 15 */
  chartMinutes?: number
  /** Seconds a worker may go without a heartbeat and still count as live. @defaultValue 60 */
  liveSeconds?: number
  /** Told of every request that failed with a server error (HTTP 500). @defaultValue one line on stderr */
  onError?: (line: string, error: unknown) => void
}

/** A dashboard server: `listen()` resolves with its URL, `close()` stops it and releases its pool. */
export interface Dashboard {
  readonly server: Server
  listen(): Promise<string>
  close(): Promise<void>
}

const PER_PAGE = 25
const SECURITY_HEADERS = {
  // No script runs on these pages at all, so even a missed escape could not execute anything.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

/**
 * Creates pq's web dashboard: server-rendered pages over the queues, jobs, workers, flows and
 * schedules, and POST actions (requeue, delete, cancel, stop worker) guarded by a CSRF token.
 *
 * @example
 * const dashboard = createDashboard({ connection: process.env.DATABASE_URL, port: 0 })
 * console.log(await dashboard.listen())   // http://127.0.0.1:41234/
 */
export function createDashboard(options: DashboardOptions = {}): Dashboard {
  const env = readEnv(process.env)
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? 8080
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOption('port', `invalid port ${port}: use 0-65535`)
  const authToken = options.authToken ?? env.dashboardToken
  checkExposure(host, authToken)
  const schema = schemaName(options.schema ?? env.schema)
  const refreshSeconds = options.refreshSeconds ?? 5
  const chartMinutes = options.chartMinutes ?? 15
  const liveSeconds = options.liveSeconds ?? DEFAULT_LIVE_SECONDS
  const onError = options.onError ?? ((line: string) => { process.stderr.write(`pq-dashboard: ${line}\n`) })
  const csrf = new Csrf(options.secret, authToken)
  const { pool, release } = acquirePool(options.connection, env.databaseUrl)
  const ctx = queryContext(pool, schema)

  const page = (now: Date): PageContext => ({ csrf: csrf.token, refreshSeconds, now })

  async function workers(q: QueryContext): Promise<WorkerView[]> {
    const [now, rows, running] = await Promise.all([statsPing(q), workerList(q, { liveSeconds }), statsStartedByWorker(q)])
    return rows.map((w) => ({
      name: w.name, host: w.host, pid: w.pid, state: w.state, live: w.live, queues: w.queues,
      currentJobs: running.get(w.name) ?? [], heartbeatAt: w.heartbeat_at, stopRequested: w.stop_requested,
      successful: Number(w.successful_count), failed: Number(w.failed_count),
    }))
  }

  async function get(path: string, url: URL): Promise<string> {
    const now = new Date()
    const pageNo = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1)
    if (path === '/') {
      const bucketSeconds = Math.max(10, Math.round((chartMinutes * 60) / 30))
      const [stats, rows, list] = await Promise.all([
        collectQueueStats(ctx, { liveSeconds }), statsThroughput(ctx, { minutes: chartMinutes, bucketSeconds, queue: null }), workers(ctx),
      ])
      const chartSvg = throughputSvg(fillBuckets(rows, now, chartMinutes, bucketSeconds), bucketSeconds)
      return overviewPage(page(now), { stats, chartSvg, minutes: chartMinutes, workers: list })
    }
    const queueMatch = /^\/queues\/([^/]+)$/.exec(path)
    if (queueMatch) {
      const name = decodeURIComponent(queueMatch[1]!)
      const status = (url.searchParams.get('status') ?? 'queued') as JobStatus
      if (!JOB_STATUSES.includes(status)) throw new HttpError(400, `unknown status "${status}"; use one of ${JOB_STATUSES.join(', ')}`)
      const [stats] = await collectQueueStats(ctx, { queue: name, liveSeconds })
      if (!stats) throw new HttpError(404, `no queue named "${name}"`)
      const rows = await jobList(ctx, { queue: name, statuses: [status], offset: (pageNo - 1) * PER_PAGE, limit: PER_PAGE, order: 'newest' })
      return queuePage(page(now), { stats, status, page: pageNo, perPage: PER_PAGE, jobs: rows.map(jobDataFromRow) })
    }
    const jobMatch = /^\/jobs\/([^/]+)$/.exec(path)
    if (jobMatch) {
      const id = decodeURIComponent(jobMatch[1]!)
      const row = await jobFetch(ctx, { id })
      if (!row) throw new HttpError(404, `no job with id "${id}": it was deleted or its TTL expired`)
      return jobPage(page(now), jobDataFromRow(row))
    }
    if (path === '/workers') return workersPage(page(now), await workers(ctx))
    if (path === '/flows') {
      const rows = await statsFlowList(ctx, { offset: (pageNo - 1) * 50, limit: 51 })
      return flowsPage(page(now), rows.slice(0, 50), pageNo, rows.length > 50)
    }
    if (path === '/schedules') {
      const rows = await statsScheduleList(ctx, { offset: (pageNo - 1) * 50, limit: 51 })
      return schedulesPage(page(now), rows.slice(0, 50).map((row) => new Schedule(row)), pageNo, rows.length > 50)
    }
    throw new HttpError(404, `no page at ${path}`)
  }

  /** Runs one action; returns where to send the browser. */
  async function post(path: string, form: URLSearchParams): Promise<string> {
    const safeBack = sameOriginPath(form.get('back'))
    const jobAction = /^\/jobs\/([^/]+)\/(requeue|delete|cancel)$/.exec(path)
    if (jobAction) {
      const id = decodeURIComponent(jobAction[1]!)
      if (jobAction[2] === 'delete') {
        const { refused } = await deleteJobs(ctx, [id])
        if (refused[0]) throw new HttpError(409, refused[0].message)
        return safeBack
      }
      const done = jobAction[2] === 'requeue' ? (await jobRequeue(ctx, { ids: [id] })).map((r) => r.id)
        : await jobCancel(ctx, { ids: [id] })
      if (!done.includes(id)) throw new HttpError(409, `job "${id}" could not be ${jobAction[2] === 'requeue' ? 'requeued' : `${jobAction[2]}${jobAction[2] === 'delete' ? 'd' : 'ed'}`} (gone, or in a state that does not allow it)`)
      return safeBack
    }
    const stop = /^\/workers\/([^/]+)\/stop$/.exec(path)
    if (stop) {
      const name = decodeURIComponent(stop[1]!)
      if (!(await workerRequestStop(ctx, { names: [name], liveSeconds })).length) throw new HttpError(409, `no live worker named "${name}"`)
      return safeBack
    }
    throw new HttpError(404, `no action at ${path}`)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid')
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...headers })
      res.end(body)
    }
    if (!hostAllowed(req, authToken)) {
      send(403, messagePage('Refused', 'Without a token this dashboard answers only to 127.0.0.1, localhost or [::1].'))
      return
    }
    if (!authorized(req, url, authToken)) {
      send(401, messagePage('Token needed', 'Open this dashboard with ?token=YOUR_TOKEN once (it is then kept in a cookie), or send Authorization: Bearer.'))
      return
    }
    if (authToken !== undefined && req.method === 'GET' && url.searchParams.has('token')) {
      // Keep the token in a cookie and drop it from the address bar (and from Referer headers).
      url.searchParams.delete('token')
      send(303, '', {
        'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(authToken)}; HttpOnly; SameSite=Strict; Path=/`,
        location: `${url.pathname}${url.search}`,
      })
      return
    }
    try {
      if (req.method === 'GET' || req.method === 'HEAD') {
        send(200, await get(url.pathname, url))
      } else if (req.method === 'POST') {
        const form = new URLSearchParams(await readBody(req))
        const refusal = csrf.refusal(req, form)
        if (refusal) {
          send(403, messagePage('Refused', `This action was refused: ${refusal}. Use the buttons on the dashboard's own pages.`))
          return
        }
        send(303, '', { location: await post(url.pathname, form) })
      } else {
        send(405, messagePage('Method not allowed', `${req.method} is not used here`), { allow: 'GET, POST' })
      }
    } catch (err) {
      if (err instanceof HttpError) send(err.status, messagePage(err.status === 404 ? 'Not found' : 'Could not do that', err.message))
      else {
        const message = err instanceof Error ? err.message.split('\n')[0]! : String(err)
        onError(`${req.method} ${url.pathname} failed: ${message}`, err)
        send(500, messagePage('Error', message))
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy())
  })
  return {
    server,
    // The schema is checked before listening, so an unmigrated one fails at start, not on every page.
    listen: async () => checkSchema(pool, schema).then(() => new Promise<string>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new InvalidOption('host',
        `cannot listen on ${host} port ${port} (${err.code ?? err.message}); use an address of this machine, such as 127.0.0.1 or 0.0.0.0, and a free port`)))
      server.listen(port, host, () => {
        server.off('error', reject)
        const address = server.address() as AddressInfo
        const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
        resolve(`http://${shown}:${address.port}/`)
      })
    })),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await release()
    },
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of req) {
    body += String(chunk)
    if (body.length > 16_384) throw new HttpError(413, 'request body too large')
  }
  return body
}
