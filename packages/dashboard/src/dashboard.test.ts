import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { Queue } from '@pq/core'
import { useTestDatabase, FIXTURES_PATH, nextEvent, waitFor } from '@pq/core/testing'
import { Worker } from '@pq/worker'
import { createDashboard, type Dashboard } from './dashboard.js'
import { describeInBrowser, launchChromium } from './testing/chromium.js'

const db = useTestDatabase()

const describeBrowser = describeInBrowser('dashboard.test.ts')
const OUTPUT = join(process.cwd(), '.test-output', 'dashboard')

let browser: Browser
let page: Page
let dashboard: Dashboard
let url: string
const workers: Worker[] = []

/** Inserts a job with SQL, in any status. */
async function insertJob(id: string, queue: string, status: string, args: unknown[], excInfo: string | null = null): Promise<void> {
  await db.pool.query(`insert into pq.queue (name) values ($1) on conflict do nothing`, [queue])
  await db.pool.query(
    `
    insert into pq.job (id, queue, func, args, status, position, exc_info, created_at, ended_at)
    values ($1, $2, 'fixtures.add', $3, $4, nextval('pq.job_position_seq'), $5, now(),
      case when $4 in ('finished', 'failed') then now() end)`,
    [id, queue, JSON.stringify(args), status, excInfo],
  )
}

/**
 * page.goto, again when the page's own automatic reload (refreshSeconds 1) started a navigation at
 * the same moment and aborted ours.
 */
async function go(target: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await page.goto(target)
      return
    } catch (err) {
      if (i >= 3 || !String(err).includes('ERR_ABORTED')) throw err
    }
  }
}

const statusOf = async (id: string): Promise<string | undefined> =>
  (await db.pool.query<{ status: string }>('select status from pq.job where id = $1', [id])).rows[0]?.status

beforeAll(async () => {
  dashboard = createDashboard({ connection: db.url, port: 0, refreshSeconds: 1 })
  url = await dashboard.listen()
})

afterAll(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('now')))
  await dashboard?.close()
})

describeBrowser('the dashboard in headless Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
    mkdirSync(OUTPUT, { recursive: true })
  })

  afterAll(async () => {
    await browser?.close()
  })

  it('shows queue counts, requeues a failed job on a click, and the job runs', async () => {
    const mail = new Queue('mail', { connection: db.url })
    await mail.enqueueMany([
      { func: 'fixtures.add', args: [1, 1] },
      { func: 'fixtures.add', args: [2, 2] },
    ])
    await mail.close()
    await insertJob('failed-1', 'mail', 'failed', [2, 3], 'Error: smtp down\n    at send (mail.ts:3:9)')
    await insertJob('done-1', 'mail', 'finished', [0, 0])

    await go(url)
    const row = page.locator('#queues tr[data-queue="mail"]')
    await expect(row.locator('td[data-status="queued"]').textContent()).resolves.toBe('2')
    await expect(row.locator('td[data-status="failed"]').textContent()).resolves.toBe('1')
    await expect(row.locator('td[data-status="finished"]').textContent()).resolves.toBe('1')
    await page.screenshot({ path: join(OUTPUT, 'overview.png'), fullPage: true })

    await row.locator('td[data-status="failed"] a').click()
    await page.locator('h1', { hasText: 'Queue mail: failed' }).waitFor()
    await page.locator('tr[data-job="failed-1"] button', { hasText: 'Requeue' }).click()
    await page.locator('#jobs', { hasText: 'No failed jobs.' }).waitFor()
    expect(await statusOf('failed-1')).toBe('queued')

    const worker = new Worker({ connection: db.url, path: FIXTURES_PATH, migrate: false, queues: ['mail'], name: 'browser-test-worker' })
    workers.push(worker)
    void worker.work()
    await go(`${url}jobs/failed-1`)
    // The page reloads itself every second: the status turns finished without us navigating.
    await page.locator('#status', { hasText: 'finished' }).waitFor({ timeout: 15000 })
    expect(await page.locator('#result').textContent()).toBe('5')
    await page.screenshot({ path: join(OUTPUT, 'job.png'), fullPage: true })
  })

  it('shows a job whose arguments hold markup as text and runs none of it', async () => {
    const payload = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    await insertJob('xss-1', 'evil<b>q', 'failed', [payload], `<script>window.__pwned = 3</script>`)
    await go(`${url}jobs/xss-1`)
    expect(JSON.parse((await page.locator('#args').textContent())!)).toEqual([payload])
    expect(await page.locator('#error').textContent()).toBe('<script>window.__pwned = 3</script>')
    expect(await page.locator('main script, main img').count()).toBe(0)
    expect(await page.evaluate('window.__pwned')).toBeUndefined()
    await go(url)
    expect(await page.locator('#queues tr[data-queue="evil<b>q"] td').first().textContent()).toBe('evil<b>q')
  })

  it('refuses a POST without the CSRF token, or from another origin, with 403 and changes nothing', async () => {
    await insertJob('keep-1', 'mail', 'failed', [1, 2])
    const noToken = await fetch(`${url}jobs/keep-1/delete`, {
      method: 'POST',
      body: new URLSearchParams({ back: '/' }),
      redirect: 'manual',
    })
    expect(noToken.status).toBe(403)
    await go(`${url}jobs/keep-1`)
    const token = await page.locator('input[name="csrf"]').first().getAttribute('value')
    const crossSite = await fetch(`${url}jobs/keep-1/delete`, {
      method: 'POST',
      body: new URLSearchParams({ csrf: token!, back: '/' }),
      redirect: 'manual',
      headers: { origin: 'https://evil.example' },
    })
    expect(crossSite.status).toBe(403)
    expect(await statusOf('keep-1')).toBe('failed')
    const sameSite = await fetch(`${url}jobs/keep-1/delete`, {
      method: 'POST',
      body: new URLSearchParams({ csrf: token!, back: '/' }),
      redirect: 'manual',
      headers: { origin: url.replace(/\/$/, '') },
    })
    expect(sameSite.status).toBe(200) // the confirmation page
    expect(await statusOf('keep-1')).toBe('failed')
    const confirmed = await fetch(`${url}jobs/keep-1/delete`, {
      method: 'POST',
      body: new URLSearchParams({ csrf: token!, back: '/', confirmed: 'yes' }),
      redirect: 'manual',
      headers: { origin: url.replace(/\/$/, '') },
    })
    expect(confirmed.status).toBe(303)
    expect(await statusOf('keep-1')).toBeUndefined()
  })

  it("pages through a queue's jobs, newest first", async () => {
    for (let i = 1; i <= 30; i++) await insertJob(`many-${String(i).padStart(2, '0')}`, 'many', 'queued', [i, i])
    await go(`${url}queues/many?status=queued`)
    expect(await page.locator('#jobs tr[data-job]').count()).toBe(25)
    expect(await page.locator('#jobs tr[data-job]').first().getAttribute('data-job')).toBe('many-30')
    await page.locator('a', { hasText: 'older' }).click()
    await page.locator('p', { hasText: 'Page 2 of 2' }).waitFor()
    expect(await page.locator('#jobs tr[data-job]').count()).toBe(5)
  })

  it('cancels and deletes jobs with their buttons', async () => {
    await insertJob('wait-1', 'idle', 'scheduled', [1, 1])
    await insertJob('wait-2', 'idle', 'scheduled', [1, 1])
    await go(`${url}queues/idle?status=scheduled`)
    await page.locator('tr[data-job="wait-1"] button', { hasText: 'Cancel' }).click()
    await page.locator('tr[data-job="wait-2"] button', { hasText: 'Delete' }).click()
    // A destructive action shows a confirmation page first; nothing happened yet.
    await page.locator('#confirm-what', { hasText: 'Delete job wait-2' }).waitFor()
    await page.screenshot({ path: join(OUTPUT, 'confirm.png'), fullPage: true })
    expect(await statusOf('wait-2')).toBe('scheduled')
    await page.locator('button', { hasText: 'Yes, do it' }).click()
    await page.locator('#jobs', { hasText: 'No scheduled jobs.' }).waitFor()
    expect([await statusOf('wait-1'), await statusOf('wait-2')]).toEqual(['canceled', undefined])
  })

  it("shows progress on the README's 0-1 scale as a percentage, and a job's dependencies", async () => {
    await insertJob('prog-1', 'prog', 'started', [])
    await db.pool.query(`update pq.job set meta = '{"progress": 0.5}' where id = 'prog-1'`)
    await insertJob('prog-2', 'prog', 'deferred', [])
    await db.pool.query(`insert into pq.job_dependency (job_id, depends_on) values ('prog-2', 'prog-1')`)
    await page.goto(`${url}jobs/prog-1`)
    expect(await page.locator('#job').textContent()).toContain('50%')
    expect(await page.locator('#progress').getAttribute('value')).toBe('0.5')
    expect(await page.locator('#job').textContent()).not.toContain('0.5%')
    await page.goto(`${url}jobs/prog-2`)
    expect(await page.locator('#job tr', { hasText: 'Depends on' }).textContent()).toContain('prog-1')
  })

  it('lists flows and schedules with runs left', async () => {
    await db.pool.query(`insert into pq.flow (id, name, queue, job_ids) values ('flow-1', 'signup', 'mail', '{failed-1,nope}')`)
    await db.pool.query(`insert into pq.schedule (id, queue, func, anchor_at, repeat, run_count, next_run_at, interval)
      values ('every-min', 'mail', 'fixtures.add', now(), -1, 4, now() + interval '1 minute', 'PT1M'),
             ('thrice', 'mail', 'fixtures.add', now(), 2, 1, now() + interval '1 hour', 'PT1H')`)
    await db.pool
      .query(`insert into pq.schedule (id, queue, func, anchor_at, repeat, run_count, next_run_at, interval, between, weekdays, tz, until_at)
      values ('windowed', 'mail', 'fixtures.add', now(), -1, 0, now() + interval '1 day', 'P1D', '02:00/05:00', '{0,4}', 'Europe/Paris', '2027-06-30T00:00:00Z')`)
    await db.pool.query(`insert into pq.schedule (id, queue, func, anchor_at, repeat, next_run_at, cron, tz)
      values ('cronned', 'mail', 'fixtures.add', now(), -1, now() + interval '1 hour', '0 9 * * 1-5', 'America/New_York')`)
    await go(`${url}flows`)
    expect(await page.locator('#flows').textContent()).toMatch(/flow-1\s*signup\s*mail\s*2\s*finished 1/)
    await page.screenshot({ path: join(OUTPUT, 'flows.png'), fullPage: true })
    await page.locator('#flows a', { hasText: 'flow-1' }).click()
    await page.locator('h1', { hasText: 'Flow signup' }).waitFor()
    expect(await page.locator('#steps tr[data-step="1"]').getAttribute('data-job')).toBe('failed-1')
    expect(await page.locator('#steps tr[data-step="2"]').textContent()).toContain('gone')
    await page.screenshot({ path: join(OUTPUT, 'flow.png'), fullPage: true })
    await go(`${url}schedules`)
    const cells = async (id: string) => page.locator(`#schedules tr[data-schedule="${id}"]`).locator('td').allTextContents()
    expect((await cells('every-min'))[5]).toBe('∞')
    expect((await cells('thrice'))[5]).toBe('2')
    expect((await cells('thrice'))[8]).toBe('timeout worker default, result 500s, failure 31536000s')

    // The rule in core's words (describeRule), as pq-schedule list gives it.
    expect((await cells('windowed'))[3]).toMatch(
      /^every P1D from \S+Z between 02:00\/05:00 on MO,FR in Europe\/Paris until 2027-06-30T00:00:00Z$/,
    )
    expect((await cells('windowed'))[5]).toMatch(/^[1-9][0-9]*$/) // until-bounded: core counts the runs left
    expect((await cells('cronned'))[3]).toMatch(/^cron "0 9 \* \* 1-5" from \S+Z in America\/New_York, forever$/)
    await page.screenshot({ path: join(OUTPUT, 'schedules.png'), fullPage: true })
    await page.locator('tr[data-schedule="thrice"] button', { hasText: 'Cancel' }).click()
    await page.locator('button', { hasText: 'Yes, do it' }).click()
    await page.locator('h1', { hasText: 'Schedules' }).waitFor()
    expect((await cells('thrice'))[4]).toBe('canceled')
    expect((await db.pool.query(`select canceled_at from pq.schedule where id = 'thrice'`)).rows[0].canceled_at).not.toBeNull()
  })

  it('stops a worker from its Stop button; the worker finishes and exits', async () => {
    const worker = workers[0]!
    const stopped = nextEvent(worker, 'worker:stopped', { timeoutMs: 15000 })
    await go(`${url}workers`)
    await page.screenshot({ path: join(OUTPUT, 'workers.png'), fullPage: true })
    await page.locator('tr[data-worker="browser-test-worker"] button', { hasText: 'Stop' }).click()
    await page.locator('button', { hasText: 'Yes, do it' }).click()
    await stopped
    await waitFor(
      async () => (await db.pool.query(`select 1 from pq.worker where name = 'browser-test-worker' and state <> 'stopped'`)).rowCount === 0,
      { what: 'the worker to deregister' },
    )
    await go(url)
    await page.screenshot({ path: join(OUTPUT, 'after-stop.png'), fullPage: true })
  })
})

describe("the standalone server's /metrics", () => {
  it('is off unless asked for, and then sits behind the token like the pages', async () => {
    const plain = createDashboard({ connection: db.url, port: 0 })
    const token = 'a-long-enough-metrics-token'
    const withMetrics = createDashboard({ connection: db.url, port: 0, metrics: true, authToken: token })
    try {
      expect((await fetch(`${await plain.listen()}metrics`)).status).toBe(404)
      const base = await withMetrics.listen()
      expect((await fetch(`${base}metrics`)).status).toBe(401)
      const res = await fetch(`${base}metrics`, { headers: { authorization: `Bearer ${token}` } })
      expect(res.status).toBe(200)
      expect(await res.text()).toMatch(/^# HELP pq_queue_jobs /)
    } finally {
      await plain.close()
      await withMetrics.close()
    }
  })
})

describe('the dashboard off loopback', () => {
  it('answers only to loopback names without a token (DNS rebinding)', async () => {
    const { request } = await import('node:http')
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(url, { headers: { host: `rebind.example:${new URL(url).port}` } }, (res) => {
        res.resume()
        resolve(res.statusCode)
      })
        .on('error', reject)
        .end()
    })
    expect(status).toBe(403)
  })

  it('refuses to listen on another address without a token', () => {
    expect(() => createDashboard({ connection: db.url, host: '0.0.0.0', port: 0 })).toThrow(/without a token; pass --auth-token/)
  })

  it('asks for the token on every request, and keeps it in a cookie once given', async () => {
    const token = 'a-long-enough-test-token'
    const guarded = createDashboard({ connection: db.url, host: '0.0.0.0', port: 0, authToken: token })
    try {
      const base = (await guarded.listen()).replace('0.0.0.0', '127.0.0.1')
      expect((await fetch(base)).status).toBe(401)
      expect((await fetch(base, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
      const first = await fetch(`${base}?token=${token}`, { redirect: 'manual' })
      expect(first.status).toBe(303)
      const cookie = first.headers.get('set-cookie')!.split(';')[0]!
      expect((await fetch(base, { headers: { cookie } })).status).toBe(200)
    } finally {
      await guarded.close()
    }
  })
})
