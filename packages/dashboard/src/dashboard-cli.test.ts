import { spawn } from 'node:child_process'
import { useTestDatabase } from '@pq/core/testing'

const db = useTestDatabase()

/** Starts the real bin; resolves with the child and what it printed once `until` shows up (or it exits). */
function start(
  args: string[],
  until: RegExp,
): Promise<{ child: ReturnType<typeof spawn>; out: string; err: string; code: number | null | undefined }> {
  const child = spawn(process.execPath, ['packages/dashboard/bin/pq-dashboard.js', ...args], {
    env: { ...process.env, DATABASE_URL: db.url, PQ_DASHBOARD_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  return new Promise((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (until.test(out)) resolve({ child, out, err, code: undefined })
    })
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    child.on('exit', (code) => resolve({ child, out, err, code }))
  })
}

describe('pq-dashboard', () => {
  it('serves the page on the port it prints and exits 0 on SIGTERM', async () => {
    const { child, out } = await start(['--port', '0'], /serving (http:\S+)/)
    try {
      const url = /serving (http:\S+)/.exec(out)![1]!
      const res = await fetch(url)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('<h1>Queues</h1>')
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    }
  })

  it('refuses to listen beyond loopback without a token, exit 2', async () => {
    const { code, err } = await start(['--host', '0.0.0.0', '--port', '0'], /serving/)
    expect(code).toBe(2)
    expect(err).toContain('pq-dashboard: refusing to listen on 0.0.0.0, reachable from other machines, without a token')
  })

  it('refuses to start on a schema pq was never migrated into, naming pq-migrate, before saying "serving"', async () => {
    const { code, out, err } = await start(['--port', '0', '--schema', 'never_migrated'], /serving/)
    expect(out).not.toMatch(/serving/)
    expect(err).toBe(
      'pq-dashboard: schema "never_migrated" has no pq tables; run pq-migrate --schema never_migrated (or call migrate()) to install them\n',
    )
    expect(code).toBe(1)
  })

  it('blames an unknown --host on the host, not on Postgres', async () => {
    const { code, err } = await start(['--port', '0', '--host', 'nosuch.invalid', '--auth-token', 'a-long-enough-secret-token'], /serving/)
    expect(err).toMatch(/^pq-dashboard: cannot listen on nosuch\.invalid port 0 \(ENOTFOUND\); use an address of this machine/)
    expect(err).not.toMatch(/Postgres/)
    expect(code).toBe(2)
  })

  it('logs a page that fails to stderr, one line naming the request', async () => {
    const { child, out } = await start(['--port', '0'], /serving (http:\S+)/)
    try {
      const url = /serving (http:\S+)/.exec(out)![1]!
      let err = ''
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString()
      })
      await db.pool.query('alter table pq.schedule rename to schedule_gone')
      try {
        expect((await fetch(`${url}schedules`)).status).toBe(500)
        const deadline = Date.now() + 10_000
        while (!/GET \/schedules failed/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
        expect(err).toMatch(/^pq-dashboard: GET \/schedules failed: schema "pq" is at migration \d+ of \d+; run pq-migrate/m)
      } finally {
        await db.pool.query('alter table pq.schedule_gone rename to schedule')
      }
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  })

  it.each([['-1'], ['abc']])('refuses --refresh %s (it would silently turn reloads off), exit 2', async (value) => {
    const { code, err } = await start(['--port', '0', '--refresh', value], /serving/)
    expect(err).toBe(`pq-dashboard: invalid --refresh "${value}": use a number from 0 to 3600, e.g. --refresh 5 (0 turns reloads off)\n`)
    expect(code).toBe(2)
  })
})
