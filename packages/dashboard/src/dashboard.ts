import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { JOB_STATUSES, InvalidOption, checkSchema, type ConnectionOption, type JobStatus } from '@pq/core'
import {
  acquirePool,
  queryContext,
  schemaName,
  readEnv,
  jobFetch,
  jobFetchMany,
  jobList,
  jobRequeue,
  jobDelete,
  deleteJobs,
  jobCancel,
  jobDataFromRow,
  jobIdsByStatus,
  jobEmptyQueue,
  queuePause,
  queueResume,
  scheduleCancel,
  flowFetch,
  statsJobSearch,
  statsTableHealth,
  tableHealthWarnings,
  workerList,
  workerRequestStop,
  collectQueueStats,
  statsPing,
  statsStartedByWorker,
  statsThroughput,
  flowListWithStatuses,
  scheduleList,
  queueName,
  DEFAULT_LIVE_SECONDS,
  type QueryContext,
} from '@pq/core/internal'
import { checkExposure, authorized, hostAllowed, Csrf, TOKEN_COOKIE, sameOriginPath } from './security.js'
import { fillBuckets, throughputSvg } from './chart.js'
import type { PageContext } from './layout.js'
import {
  overviewPage,
  queuePage,
  jobPage,
  workersPage,
  flowsPage,
  flowPage,
  schedulesPage,
  searchPage,
  confirmPage,
  messagePage,
  type WorkerView,
} from './pages.js'
import { prometheusText } from './prometheus.js'

/** Options of `createDashboardHandler` (and of `createDashboard`, which adds host and port). */
export interface DashboardHandlerOptions {
  /** The database. @defaultValue DATABASE_URL, else libpq's PG* variables */
  connection?: ConnectionOption
  /** pq's schema. @defaultValue PQ_SCHEMA, else 'pq' */
  schema?: string
  /** Where the handler is mounted, e.g. '/admin/queues': every link and form action starts with it. @defaultValue '' (the root) */
  basePath?: string
  /** Token every request must carry (`?token=` once, then a cookie; or `Authorization: Bearer`). @defaultValue PQ_DASHBOARD_TOKEN, else none */
  authToken?: string
  /**
   * The host app authenticates every request before it reaches the handler (its own login
   * middleware): no token is asked for, and requests are served whatever their Host name. Without
   * it (and without a token) only loopback names are served. CSRF and CSP stay on. @defaultValue false
   */
  authenticatedByHost?: boolean
  /** Secret the CSRF token derives from; give the same one to processes behind one address. @defaultValue random per process */
  secret?: string
  /** Seconds between automatic page reloads; 0 turns them off. @defaultValue 5 */
  refreshSeconds?: number
  /** Minutes of history in the throughput chart (the page offers 15 min to 24 h). @defaultValue 15 */
  chartMinutes?: number
  /** Seconds a worker may go without a heartbeat and still count as live. @defaultValue 60 */
  liveSeconds?: number
  /** Told of every request that failed with a server error (HTTP 500). @defaultValue one line on stderr */
  onError?: (line: string, error: unknown) => void
  /** Serve Prometheus text at `<basePath>/metrics` (same authentication as the pages). @defaultValue true */
  metrics?: boolean
}

/** Options of `createDashboard`: the handler's, plus where to listen. */
export interface DashboardOptions extends Omit<DashboardHandlerOptions, 'basePath' | 'authenticatedByHost'> {
  /** Address to listen on; anything but loopback needs `authToken`. @defaultValue '127.0.0.1' */
  host?: string
  /** Port; 0 picks a free one. @defaultValue 8080 */
  port?: number
  /** Serve `/metrics` too. @defaultValue false for the standalone server */
  metrics?: boolean
}

/**
 * A Node request handler: `(req, res, next?)`. Mount it in node:http, Express, Fastify, Koa or Hono.
 * A request outside its base path goes to `next` when given, else gets a 404. `close()` releases its pool.
 */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void
  readonly basePath: string
  /** Throws SchemaNotMigrated when pq's tables are missing or behind (the standalone server checks before it listens). */
  checkSchema(): Promise<void>
  close(): Promise<void>
}

/** A dashboard server: `listen()` resolves with its URL, `close()` stops it and releases its pool. */
export interface Dashboard {
  readonly server: Server
  readonly handler: DashboardHandler
  listen(): Promise<string>
  close(): Promise<void>
}

const PER_PAGE = 25
const SECURITY_HEADERS = {
  // No script runs on these pages at all, so even a missed escape could not execute anything.
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** A confirmation to show before a destructive action runs. */
class NeedsConfirmation extends Error {}

function normaliseBase(basePath: string | undefined): string {
  const b = (basePath ?? '').replace(/\/+$/, '')
  if (b !== '' && !/^\/[A-Za-z0-9._~\-/]*$/.test(b))
    throw new InvalidOption('basePath', `invalid basePath ${JSON.stringify(basePath)}: use a path like '/admin/queues'`)
  return b
}

/**
 * Creates pq's dashboard as a request handler to mount in an app: server-rendered pages over the
 * queues, jobs, workers, flows and schedules, POST actions guarded by a CSRF token (destructive ones
 * confirm first), and Prometheus text at `/metrics`.
 *
 * @example
 * const dashboard = createDashboardHandler({ basePath: '/admin/queues', authenticatedByHost: true })
 * app.use('/admin/queues', requireAdmin, dashboard)   // Express
 */
export function createDashboardHandler(options: DashboardHandlerOptions = {}): DashboardHandler {
  const env = readEnv(process.env)
  const base = normaliseBase(options.basePath)
  const authToken = options.authenticatedByHost ? undefined : (options.authToken ?? env.dashboardToken)
  if (authToken !== undefined) checkExposure('127.0.0.1', authToken)
  const trustHost = options.authenticatedByHost === true
  const schema = schemaName(options.schema ?? env.schema)
  const refreshSeconds = options.refreshSeconds ?? 5
  const chartMinutes = options.chartMinutes ?? 15
  const liveSeconds = options.liveSeconds ?? DEFAULT_LIVE_SECONDS
  const onError =
    options.onError ??
    ((line: string) => {
      process.stderr.write(`pq-dashboard: ${line}\n`)
    })
  const serveMetrics = options.metrics ?? true
  const csrf = new Csrf(options.secret, authToken)
  const { pool, release } = acquirePool(options.connection, env.databaseUrl)
  const ctx = queryContext(pool, schema)

  const page = (now: Date): PageContext => ({ base, csrf: csrf.token, refreshSeconds, now })

  async function workers(q: QueryContext): Promise<WorkerView[]> {
    const [rows, running] = await Promise.all([workerList(q, { liveSeconds }), statsStartedByWorker(q)])
    return rows.map((w) => ({
      name: w.name,
      host: w.host,
      pid: w.pid,
      state: w.state,
      live: w.live,
      queues: w.queues,
      currentJobs: running.get(w.name) ?? [],
      heartbeatAt: w.heartbeat_at,
      stopRequested: w.stop_requested,
      successful: Number(w.successful_count),
      failed: Number(w.failed_count),
    }))
  }

  async function metricsText(): Promise<string> {
    const [stats, rows, now] = await Promise.all([
      collectQueueStats(ctx, { liveSeconds }),
      workerList(ctx, { liveSeconds }),
      statsPing(ctx),
    ])
    return prometheusText({ stats, workers: rows, live: (w) => w.live, now })
  }

  async function get(path: string, url: URL): Promise<string> {
    const now = new Date()
    const pageNo = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1)
    if (path === '/') {
      const asked = Number(url.searchParams.get('minutes') ?? chartMinutes)
      const minutes = Number.isFinite(asked) ? Math.min(1440, Math.max(5, Math.round(asked))) : chartMinutes
      // About 30-60 bars whatever the window, on round bucket sizes.
      const bucketSeconds = [10, 30, 60, 120, 300, 600, 900, 1800, 3600].find((s) => (minutes * 60) / s <= 60) ?? 3600
      const [stats, rows, list, health] = await Promise.all([
        collectQueueStats(ctx, { liveSeconds }),
        statsThroughput(ctx, { minutes, bucketSeconds, queue: null }),
        workers(ctx),
        statsTableHealth(ctx),
      ])
      const chartSvg = throughputSvg(fillBuckets(rows, now, minutes, bucketSeconds), bucketSeconds)
      return overviewPage(page(now), {
        stats,
        chartSvg,
        minutes,
        workers: list,
        health: { ...health, warnings: tableHealthWarnings(health) },
      })
    }
    const queueMatch = /^\/queues\/([^/]+)$/.exec(path)
    if (queueMatch) {
      const name = decodeURIComponent(queueMatch[1]!)
      const status = (url.searchParams.get('status') ?? 'queued') as JobStatus
      if (!JOB_STATUSES.includes(status)) throw new HttpError(400, `unknown status "${status}"; use one of ${JOB_STATUSES.join(', ')}`)
      const [stats] = await collectQueueStats(ctx, { queue: name, liveSeconds })
      if (!stats) throw new HttpError(404, `no queue named "${name}"`)
      const rows = await jobList(ctx, {
        queue: name,
        statuses: [status],
        offset: (pageNo - 1) * PER_PAGE,
        limit: PER_PAGE,
        order: 'newest',
      })
      return queuePage(page(now), { stats, status, page: pageNo, perPage: PER_PAGE, jobs: rows.map(jobDataFromRow) })
    }
    const jobMatch = /^\/jobs\/([^/]+)$/.exec(path)
    if (jobMatch) {
      const id = decodeURIComponent(jobMatch[1]!)
      const row = await jobFetch(ctx, { id })
      if (!row) throw new HttpError(404, `no job with id "${id}": it was deleted or its TTL expired`)
      return jobPage(page(now), jobDataFromRow(row))
    }
    if (path === '/search') {
      const text = (url.searchParams.get('q') ?? '').trim()
      if (!text) throw new HttpError(400, 'type part of a job id, or a function name, in the search box')
      if (text.length > 200) throw new HttpError(400, 'the search text is longer than 200 characters')
      const exact = await jobFetch(ctx, { id: text })
      if (exact) return jobPage(page(now), jobDataFromRow(exact))
      return searchPage(page(now), text, (await statsJobSearch(ctx, { text, limit: 50 })).map(jobDataFromRow))
    }
    if (path === '/workers') return workersPage(page(now), await workers(ctx))
    if (path === '/flows') {
      const rows = await flowListWithStatuses(ctx, { offset: (pageNo - 1) * 50, limit: 51 })
      return flowsPage(page(now), rows.slice(0, 50), pageNo, rows.length > 50)
    }
    const flowMatch = /^\/flows\/([^/]+)$/.exec(path)
    if (flowMatch) {
      const id = decodeURIComponent(flowMatch[1]!)
      const flow = await flowFetch(ctx, { id })
      if (!flow) throw new HttpError(404, `no flow with id "${id}": it went with its final job`)
      const steps = await jobFetchMany(ctx, { ids: flow.job_ids })
      return flowPage(page(now), flow, new Map(steps.map((r) => [r.id, jobDataFromRow(r)])))
    }
    if (path === '/schedules') {
      const rows = await scheduleList(ctx, { queue: null, includeEnded: true, offset: (pageNo - 1) * 50, limit: 51 })
      return schedulesPage(page(now), rows.slice(0, 50), pageNo, rows.length > 50)
    }
    throw new HttpError(404, `no page at ${base}${path}`)
  }

  /** Runs many ids through an action 1,000 at a time. */
  async function inChunks(ids: string[], run: (chunk: string[]) => Promise<number>): Promise<number> {
    let n = 0
    for (let i = 0; i < ids.length; i += 1000) n += await run(ids.slice(i, i + 1000))
    return n
  }

  /** Runs one action; returns where (below the base) to send the browser. Throws NeedsConfirmation first for destructive ones. */
  async function post(path: string, form: URLSearchParams, confirm: (what: string) => void): Promise<string> {
    const safeBack = sameOriginPath(form.get('back'))
    const jobAction = /^\/jobs\/([^/]+)\/(requeue|delete|cancel)$/.exec(path)
    if (jobAction) {
      const id = decodeURIComponent(jobAction[1]!)
      const verb = jobAction[2]!
      if (verb === 'delete') {
        const row = await jobFetch(ctx, { id })
        if (row?.status === 'started')
          throw new HttpError(409, `job "${id}" is running: stop its worker (${row.worker ?? '?'}) first, or wait for it to end`)
        confirm(`Delete job ${id}${row ? ` (${row.func}, ${row.status})` : ''}? Jobs that depend on it are canceled.`)
      }
      if (verb === 'delete') {
        // The core rule decides (a job that started meanwhile is refused, not deleted).
        const { refused } = await deleteJobs(ctx, [id])
        if (refused[0]) throw new HttpError(409, refused[0].message)
        return safeBack
      }
      const done = verb === 'requeue' ? (await jobRequeue(ctx, { ids: [id] })).map((r) => r.id) : await jobCancel(ctx, { ids: [id] })
      if (!done.includes(id))
        throw new HttpError(
          409,
          `job "${id}" could not be ${verb === 'requeue' ? 'requeued' : `${verb}${verb === 'delete' ? 'd' : 'ed'}`} (gone, or in a state that does not allow it)`,
        )
      return safeBack
    }
    const queueAction = /^\/queues\/([^/]+)\/(pause|resume|retry-failed|delete-failed|empty)$/.exec(path)
    if (queueAction) {
      const name = queueName(decodeURIComponent(queueAction[1]!))
      const verb = queueAction[2]!
      if (verb === 'pause') await queuePause(ctx, { name })
      else if (verb === 'resume') await queueResume(ctx, { name })
      else if (verb === 'empty') {
        confirm(`Delete every waiting job (queued, deferred, scheduled) of queue "${name}"? Their dependents are canceled.`)
        await jobEmptyQueue(ctx, { queue: name })
      } else {
        // The ids are read once, up front: a job that fails again meanwhile is not touched twice.
        const ids = await jobIdsByStatus(ctx, { queue: name, status: 'failed', limit: 1_000_000 })
        if (verb === 'delete-failed') {
          confirm(`Delete the ${ids.length} failed job${ids.length === 1 ? '' : 's'} of queue "${name}"?`)
          await inChunks(ids, async (c) => (await jobDelete(ctx, { ids: c })).length)
        } else {
          await inChunks(ids, async (c) => (await jobRequeue(ctx, { ids: c, statuses: ['failed'] })).length)
        }
      }
      return safeBack
    }
    const scheduleAction = /^\/schedules\/([^/]+)\/cancel$/.exec(path)
    if (scheduleAction) {
      const id = decodeURIComponent(scheduleAction[1]!)
      confirm(`Cancel schedule ${id}? It will enqueue no more jobs; jobs it already enqueued stay.`)
      if (!(await scheduleCancel(ctx, { id })))
        throw new HttpError(409, `schedule "${id}" could not be canceled (gone, or already canceled)`)
      return safeBack
    }
    const stop = /^\/workers\/([^/]+)\/stop$/.exec(path)
    if (stop) {
      const name = decodeURIComponent(stop[1]!)
      confirm(`Ask worker ${name} to stop after its current jobs? It exits; start it again with pq-worker.`)
      if (!(await workerRequestStop(ctx, { names: [name], liveSeconds })).length) throw new HttpError(409, `no live worker named "${name}"`)
      return safeBack
    }
    throw new HttpError(404, `no action at ${base}${path}`)
  }

  async function handle(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): Promise<void> {
    // Express strips its mount path from req.url and keeps the whole path in originalUrl.
    const full = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://dashboard.invalid')
    let path = full.pathname
    if (base) {
      if (path === base) path = '/'
      else if (path.startsWith(`${base}/`)) path = path.slice(base.length)
      else if (next) return next()
      else path = '\0' // answered below with a 404
    }
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...headers })
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    if (!trustHost && !hostAllowed(req, authToken)) {
      send(403, messagePage('Refused', 'Without a token this dashboard answers only to 127.0.0.1, localhost or [::1].', base))
      return
    }
    if (!trustHost && !authorized(req, full, authToken)) {
      send(
        401,
        messagePage(
          'Token needed',
          'Open this dashboard with ?token=YOUR_TOKEN once (it is then kept in a cookie), or send Authorization: Bearer.',
          base,
        ),
      )
      return
    }
    if (path === '\0') {
      send(404, messagePage('Not found', `the dashboard lives under ${base}/`, base))
      return
    }
    if (authToken !== undefined && req.method === 'GET' && full.searchParams.has('token')) {
      // Keep the token in a cookie and drop it from the address bar (and from Referer headers).
      full.searchParams.delete('token')
      send(303, '', {
        'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(authToken)}; HttpOnly; SameSite=Strict; Path=${base || '/'}`,
        location: `${full.pathname}${full.search}`,
      })
      return
    }
    try {
      if ((req.method === 'GET' || req.method === 'HEAD') && path === '/metrics' && serveMetrics) {
        send(200, await metricsText(), { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
      } else if (req.method === 'GET' || req.method === 'HEAD') {
        send(200, await get(path, full))
      } else if (req.method === 'POST') {
        const form = await readForm(req)
        const refusal = csrf.refusal(req, form)
        if (refusal) {
          send(403, messagePage('Refused', `This action was refused: ${refusal}. Use the buttons on the dashboard's own pages.`, base))
          return
        }
        const confirmed = form.get('confirmed') === 'yes'
        try {
          const to = await post(path, form, (what) => {
            if (!confirmed) throw new NeedsConfirmation(what)
          })
          send(303, '', { location: `${base}${to}` })
        } catch (err) {
          if (!(err instanceof NeedsConfirmation)) throw err
          send(200, confirmPage(page(new Date()), { action: path, what: err.message, back: sameOriginPath(form.get('back')) }))
        }
      } else {
        send(405, messagePage('Method not allowed', `${req.method} is not used here`, base), { allow: 'GET, POST' })
      }
    } catch (err) {
      if (err instanceof HttpError) send(err.status, messagePage(err.status === 404 ? 'Not found' : 'Could not do that', err.message, base))
      else if (err instanceof InvalidOption) send(400, messagePage('Could not do that', err.message, base))
      else {
        const message = err instanceof Error ? err.message.split('\n')[0]! : String(err)
        onError(`${req.method} ${full.pathname} failed: ${message}`, err)
        send(500, messagePage('Error', message, base))
      }
    }
  }

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => {
    handle(req, res, next).catch(() => res.destroy())
  }) as DashboardHandler
  Object.defineProperty(handler, 'basePath', { value: base })
  Object.defineProperty(handler, 'close', { value: () => release() })
  Object.defineProperty(handler, 'checkSchema', { value: () => checkSchema(pool, schema) })
  return handler
}

/**
 * Creates pq's web dashboard as a standalone server (pq-dashboard): the handler at the root of its
 * own node:http server.
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
  const handler = createDashboardHandler({ ...options, authToken, basePath: '', metrics: options.metrics ?? false })
  const server = createServer((req, res) => handler(req, res))
  return {
    server,
    handler,
    // The schema is checked before listening, so an unmigrated one fails at start, not on every page.
    listen: async () =>
      handler.checkSchema().then(
        () =>
          new Promise<string>((resolve, reject) => {
            server.once('error', (err: NodeJS.ErrnoException) =>
              reject(
                new InvalidOption(
                  'host',
                  `cannot listen on ${host} port ${port} (${err.code ?? err.message}); use an address of this machine, such as 127.0.0.1 or 0.0.0.0, and a free port`,
                ),
              ),
            )
            server.listen(port, host, () => {
              server.off('error', reject)
              const address = server.address() as AddressInfo
              const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
              resolve(`http://${shown}:${address.port}/`)
            })
          }),
      ),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await handler.close()
    },
  }
}

/** The form of a POST: from the body, or from what a body parser of the host app already read. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const parsed = (req as { body?: unknown }).body
  if (parsed && typeof parsed === 'object' && !Buffer.isBuffer(parsed)) return new URLSearchParams(parsed as Record<string, string>)
  if (typeof parsed === 'string') return new URLSearchParams(parsed)
  if (Buffer.isBuffer(parsed)) return new URLSearchParams(parsed.toString('utf8'))
  let body = ''
  for await (const chunk of req) {
    body += String(chunk)
    if (body.length > 16_384) throw new HttpError(413, 'request body too large')
  }
  return new URLSearchParams(body)
}
