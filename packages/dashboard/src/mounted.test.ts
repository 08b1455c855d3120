import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import express from 'express'
import { Hono } from 'hono'
import { getRequestListener, type HttpBindings } from '@hono/node-server'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Browser, Page } from 'playwright-core'
import { Queue } from '@pq/core'
import { useTestDatabase, waitFor } from '@pq/core/testing'
import { createDashboardHandler, type DashboardHandler } from './dashboard.js'
import { describeInBrowser, launchChromium } from './testing/chromium.js'

// Every test here drives the browser.
const describeBrowser = describeInBrowser('mounted.test.ts')

const db = useTestDatabase()
const OUTPUT = join(process.cwd(), '.test-output', 'dashboard-mounted')
const BASE = '/admin/queues'

let browser: Browser
let page: Page
let handler: DashboardHandler
let app: Server
let root: string
const closers: (() => Promise<void>)[] = []

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  )
const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
const statusOf = async (id: string): Promise<string | undefined> =>
  (await db.pool.query<{ status: string }>('select status from pq.job where id = $1', [id])).rows[0]?.status
const shot = (name: string) => page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true })

async function insertJob(
  id: string,
  queue: string,
  status: string,
  extra: { worker?: string; attemptLog?: unknown[]; func?: string } = {},
): Promise<void> {
  await db.pool.query(`insert into pq.queue (name) values ($1) on conflict do nothing`, [queue])
  await db.pool.query(
    `
    insert into pq.job (id, queue, func, args, status, position, created_at, enqueued_at, started_at, ended_at, worker, attempt_log, attempts, exc_info)
    values ($1, $2, $6, '[1, 2]', $3, nextval('pq.job_position_seq'), now() - interval '1 minute', now() - interval '50 seconds',
      case when $3 in ('started', 'finished', 'failed') then now() - interval '20 seconds' end,
      case when $3 in ('finished', 'failed') then now() end, $4, $5::jsonb, coalesce(jsonb_array_length($5::jsonb), 0),
      case when $3 = 'failed' then 'Error: boom' end)`,
    [id, queue, status, extra.worker ?? null, extra.attemptLog ? JSON.stringify(extra.attemptLog) : null, extra.func ?? 'fixtures.add'],
  )
}

beforeAll(async () => {
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  mkdirSync(OUTPUT, { recursive: true })
  // An Express app that mounts the dashboard under a base path, behind its own (here: trivial) auth.
  handler = createDashboardHandler({ connection: db.url, basePath: BASE, refreshSeconds: 0, authenticatedByHost: true })
  const ex = express()
  ex.use(express.urlencoded({ extended: false })) // a host app's body parser: the handler reads req.body
  ex.get('/', (_req, res) => {
    res.send('the host app')
  })
  ex.use(BASE, (req, res, next) => (req.headers['x-deny'] ? res.status(401).send('host app says no') : next()), handler)
  app = createServer(ex)
  root = await listen(app)
})

afterAll(async () => {
  await browser?.close()
  await close(app)
  await handler?.close()
  for (const c of closers) await c()
})

describeBrowser('the dashboard mounted in an Express app under /admin/queues', () => {
  it('serves every page under the base path, with every link and form below it', async () => {
    await insertJob('abcdef0123456789-queued', 'mail', 'queued')
    await insertJob('failed-attempts', 'mail', 'failed', {
      attemptLog: [
        {
          attempt: 1,
          class: 'TypeError',
          message: 'first try',
          stack: 'TypeError: first try\n    at x',
          at: new Date().toISOString(),
          worker: 'w-1',
        },
        { attempt: 2, class: 'Error', message: 'boom', stack: 'Error: boom\n    at y', at: new Date().toISOString(), worker: 'w-2' },
      ],
    })
    await page.goto(`${root}${BASE}`)
    await page.locator('h1', { hasText: 'Queues' }).waitFor()
    const links = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!))
    const actions = await page.locator('form[action]').evaluateAll((fs) => fs.map((f) => f.getAttribute('action')!))
    expect([...links, ...actions].filter((h) => !h.startsWith(`${BASE}/`))).toEqual([])
    // Zero counts are plain text; others link to the queue's tab.
    expect(await page.locator('#queues tr[data-queue="mail"] td[data-status="finished"] a').count()).toBe(0)
    expect(await page.locator('#queues tr[data-queue="mail"] td[data-status="queued"] a').getAttribute('href')).toBe(
      `${BASE}/queues/mail?status=queued`,
    )
    expect(await page.locator('#health').textContent()).toContain('job')
    // Dead rows piling up get a plain-words warning. One round trip, so that session flushes its table
    // statistics at once rather than when it next idles (up to 10 s on).
    await db.pool.query(`insert into pq.flow (id, queue, job_ids) select 'dead-' || i, 'mail', '{x}' from generate_series(1, 12000) i;
      delete from pq.flow where id like 'dead-%'; select pg_stat_force_next_flush()`)
    await waitFor(
      async () => {
        await page.goto(`${root}${BASE}/`)
        return (
          (await page.locator('.warn').allTextContents()).some((t) => /table flow holds 12,000 dead rows beside 0 live ones/.test(t)) ||
          undefined
        )
      },
      { what: 'the dead-rows warning', timeoutMs: 20000 },
    )
    const autovacuum = (await db.pool.query<{ autovacuum: string }>('show autovacuum')).rows[0]!.autovacuum
    expect((await page.locator('.warn').allTextContents()).some((t) => t.startsWith('autovacuum is off'))).toBe(autovacuum === 'off')
    await shot('overview')
    await page.locator('#queues tr[data-queue="mail"] td[data-status="queued"] a').click()
    await page.locator('h1', { hasText: 'Queue mail: queued' }).waitFor()
    expect(await page.locator('tr[data-job="abcdef0123456789-queued"] a.id').textContent()).toBe('abcdef01…')
    await shot('queue')
    await page.locator('tr[data-job="abcdef0123456789-queued"] a.id').click()
    expect(await page.locator('#job-id').textContent()).toBe('abcdef0123456789-queued')
    expect(await page.locator('#waited').textContent()).toMatch(/s$/)
    expect(await page.locator('#priority').textContent()).toBe('0')
    await page.goto(`${root}${BASE}/jobs/failed-attempts`)
    expect(await page.locator('#attempts tr[data-attempt]').allTextContents()).toEqual([
      expect.stringMatching(/^1.*w-1.*TypeError: first try/s),
      expect.stringMatching(/^2.*w-2.*Error: boom/s),
    ])
    await shot('job-attempts')
    for (const [path, name] of [
      ['/workers', 'workers'],
      ['/flows', 'flows'],
      ['/schedules', 'schedules'],
    ]) {
      await page.goto(`${root}${BASE}${path}`)
      await shot(name!)
    }
    expect((await fetch(`${root}/`)).status).toBe(200) // the host app's own routes are untouched
    expect((await fetch(`${root}${BASE}/workers`, { headers: { 'x-deny': '1' } })).status).toBe(401) // its auth runs first
  })

  it('pauses and resumes a queue from its buttons, and shows the state', async () => {
    await page.goto(`${root}${BASE}/queues/mail`)
    await page.locator('#queue-actions button', { hasText: 'Pause' }).click()
    await page.locator('.paused', { hasText: 'Paused' }).waitFor()
    expect(await new Queue('mail', { connection: db.url }).isPaused()).toBe(true)
    await shot('queue-paused')
    await page.goto(`${root}${BASE}/`)
    expect(await page.locator('#queues tr[data-queue="mail"] .paused').textContent()).toBe('paused')
    await page.goto(`${root}${BASE}/queues/mail`)
    await page.locator('#queue-actions button', { hasText: 'Resume' }).click()
    await page.locator('#queue-actions button', { hasText: 'Pause' }).waitFor()
    expect((await db.pool.query(`select paused_at from pq.queue where name = 'mail'`)).rows[0].paused_at).toBeNull()
  })

  it('retries and deletes all failed jobs of a queue, and empties it, confirming destructive ones first', async () => {
    for (const id of ['bulk-f1', 'bulk-f2']) await insertJob(id, 'bulk', 'failed')
    await page.goto(`${root}${BASE}/queues/bulk?status=failed`)
    await page.locator('#queue-actions button', { hasText: 'Retry all 2 failed' }).click()
    await page.locator('#jobs', { hasText: 'No failed jobs.' }).waitFor()
    expect([await statusOf('bulk-f1'), await statusOf('bulk-f2')]).toEqual(['queued', 'queued'])
    await insertJob('bulk-f3', 'bulk', 'failed')
    await page.goto(`${root}${BASE}/queues/bulk?status=failed`)
    await page.locator('#queue-actions button', { hasText: 'Delete all failed' }).click()
    await page.locator('#confirm-what', { hasText: 'Delete the 1 failed job of queue "bulk"?' }).waitFor()
    await shot('confirm-delete-failed')
    await page.locator('a', { hasText: 'No, go back' }).click()
    await page.locator('h1', { hasText: 'Queue bulk: failed' }).waitFor()
    expect(await statusOf('bulk-f3')).toBe('failed')
    await page.locator('#queue-actions button', { hasText: 'Delete all failed' }).click()
    await page.locator('button', { hasText: 'Yes, do it' }).click()
    await page.locator('#jobs', { hasText: 'No failed jobs.' }).waitFor()
    expect(await statusOf('bulk-f3')).toBeUndefined()
    await page.locator('#queue-actions button', { hasText: 'Empty (delete 2 waiting)' }).click()
    await page.locator('button', { hasText: 'Yes, do it' }).click()
    await page.locator('h1', { hasText: 'Queue bulk' }).waitFor()
    expect([await statusOf('bulk-f1'), await statusOf('bulk-f2')]).toEqual([undefined, undefined])
  })

  it('refuses to delete a running job and offers no Delete button for it', async () => {
    await insertJob('running-1', 'busy', 'started', { worker: 'w-x' })
    await page.goto(`${root}${BASE}/jobs/running-1`)
    expect(await page.locator('button', { hasText: 'Delete' }).count()).toBe(0)
    await page.goto(`${root}${BASE}/workers`) // any page with a form carries the CSRF token
    await page.goto(`${root}${BASE}/queues/busy?status=started`)
    expect(await page.locator('tr[data-job="running-1"]').textContent()).toContain('running')
    await page.goto(`${root}${BASE}/queues/busy`)
    const token = await page.locator('#queue-actions input[name="csrf"]').first().getAttribute('value')
    const res = await fetch(`${root}${BASE}/jobs/running-1/delete`, {
      method: 'POST',
      body: new URLSearchParams({ csrf: token!, back: '/', confirmed: 'yes' }),
      redirect: 'manual',
      headers: { origin: root },
    })
    expect(res.status).toBe(409)
    expect(await res.text()).toContain('is running: stop its worker (w-x) first')
    expect(await statusOf('running-1')).toBe('started')
  })

  it('finds jobs by id prefix and by function', async () => {
    await insertJob('zzsearch-1', 'find', 'queued', { func: 'reports.daily' })
    await insertJob('zzsearch-2', 'find', 'finished', { func: 'reports.weekly' })
    await page.goto(`${root}${BASE}/`)
    await page.locator('input[name="q"]').fill('zzsearch')
    await page.locator('header button', { hasText: 'Search' }).click()
    await page.locator('h1', { hasText: 'Jobs matching' }).waitFor()
    expect((await page.locator('#jobs tr[data-job]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-job')))).sort()).toEqual([
      'zzsearch-1',
      'zzsearch-2',
    ])
    await shot('search')
    await page.goto(`${root}${BASE}/search?q=reports.weekly`)
    expect(await page.locator('#jobs tr[data-job]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-job')))).toEqual(['zzsearch-2'])
    await page.goto(`${root}${BASE}/search?q=zzsearch-1`) // a whole id opens the job
    expect(await page.locator('#job-id').textContent()).toBe('zzsearch-1')
  })

  it('draws the chart over the chosen window with round y ticks and time labels', async () => {
    await page.goto(`${root}${BASE}/?minutes=360`)
    await page.locator('h2', { hasText: 'last 6 hours' }).waitFor()
    expect(await page.locator('svg.chart g').count()).toBe(36) // 10-minute bars
    expect(await page.locator('svg.chart text.y-tick').allTextContents()).toEqual(expect.arrayContaining(['0', '1']))
    expect((await page.locator('svg.chart text.x-tick').allTextContents()).every((t) => /^\d\d:\d\d$/.test(t))).toBe(true)
    await shot('overview-6h')
  })

  it('serves /metrics as Prometheus text that parses', async () => {
    await db.pool.query(
      `insert into pq.worker (name, host, pid, queues, state, successful_count, failed_count, metrics)
      values ('metric-w', 'h', 1, '{}', 'busy', 7, 2, $1)`,
      [JSON.stringify({ runSeconds: { buckets: [0.1, 1], counts: [3, 9], sum: 4.5, count: 9 } })],
    )
    const res = await fetch(`${root}${BASE}/metrics`)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const samples = parsePrometheus(await res.text())
    expect(samples.get('pq_queue_jobs{queue="find",status="queued"}')).toBe(1)
    expect(samples.get('pq_queue_paused{queue="mail"}')).toBe(0)
    expect(samples.get('pq_queue_oldest_queued_age_seconds{queue="find"}')).toBeGreaterThan(30)
    expect(samples.get('pq_worker_state{worker="metric-w",state="busy"}')).toBe(1)
    expect(samples.get('pq_worker_jobs_finished_total{worker="metric-w"}')).toBe(7)
    expect(samples.get('pq_worker_jobs_failed_total{worker="metric-w"}')).toBe(2)
    expect(samples.get('pq_job_run_seconds_bucket{worker="metric-w",le="+Inf"}')).toBe(9)
    expect(samples.get('pq_job_run_seconds_sum{worker="metric-w"}')).toBe(4.5)
  })
})

/**
 * A strict reader of the Prometheus text format: every line is a comment (HELP/TYPE), blank, or a
 * sample `name{label="value",...} number`; each family is TYPEd before its samples; histogram buckets
 * are cumulative. Throws on anything else.
 */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  const typed = new Map<string, string>()
  const sample =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,(?=[a-zA-Z_]))?)*\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|\+Inf|NaN))$/
  const lastBucket = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line)
    if (meta) {
      if (meta[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(meta[3]!)) throw new Error(`bad TYPE: ${line}`)
        typed.set(meta[2]!, meta[3]!)
      }
      continue
    }
    const m = sample.exec(line)
    if (!m) throw new Error(`not a Prometheus sample: ${JSON.stringify(line)}`)
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '')
    if (!typed.has(m[1]!) && !typed.has(family)) throw new Error(`sample before its TYPE: ${line}`)
    const value = Number(m[3] === '+Inf' ? Infinity : m[3])
    if (m[1]!.endsWith('_bucket')) {
      const series = (m[2] ?? '').replace(/,?le="[^"]*"/, '')
      if (value < (lastBucket.get(m[1]! + series) ?? 0)) throw new Error(`buckets not cumulative: ${line}`)
      lastBucket.set(m[1]! + series, value)
    }
    samples.set(`${m[1]}${m[2] ?? ''}`, value)
  }
  return samples
}

describeBrowser('the dashboard mounted in a Hono app (@hono/node-server)', () => {
  it('serves its pages and runs its actions under the base path with a one-line adapter', async () => {
    const hono = new Hono<{ Bindings: HttpBindings }>()
    const mounted = createDashboardHandler({ connection: db.url, basePath: '/ops', refreshSeconds: 0 })
    closers.push(() => mounted.close())
    hono.get('/', (c) => c.text('hono app'))
    hono.all('/ops/*', (c) => {
      mounted(c.env.incoming, c.env.outgoing)
      return RESPONSE_ALREADY_SENT
    })
    const listener = getRequestListener(hono.fetch)
    // The listener answers its own failures (a 500), so nothing is left to handle here.
    const server = createServer((req, res) => void listener(req, res))
    closers.push(() => close(server))
    const base = await listen(server)
    await insertJob('hono-failed', 'honoq', 'failed')
    await page.goto(`${base}/ops/queues/honoq?status=failed`)
    await page.locator('tr[data-job="hono-failed"] button', { hasText: 'Requeue' }).click()
    await page.locator('#jobs', { hasText: 'No failed jobs.' }).waitFor()
    expect(await statusOf('hono-failed')).toBe('queued')
    await shot('hono-queue')
    // Without authenticatedByHost or a token, the loopback-only Host check still applies.
    const { request } = await import('node:http')
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(`${base}/ops/`, { headers: { host: 'rebind.example' } }, (res) => {
        res.resume()
        resolve(res.statusCode)
      })
        .on('error', reject)
        .end()
    })
    expect(status).toBe(403)
  })
})
