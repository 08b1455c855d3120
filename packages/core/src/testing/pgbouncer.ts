import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A running PgBouncer in transaction mode, in front of one Postgres server. */
export interface PgBouncerHandle {
  /** `url` with its host and port replaced by the bouncer's. */
  via(url: string): string
  /** PgBouncer's version line ("PgBouncer 1.18.0"). */
  version: string
  stop(): Promise<void>
}

/** Where pgbouncer is (PATH, or Debian's /usr/sbin), or undefined. */
export function findPgBouncer(): string | undefined {
  for (const candidate of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'])
    if (existsSync(candidate)) return candidate
  const which = spawnSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' })
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.end()
      resolve(true)
    })
    socket.on('error', () => resolve(false))
  })

// Bouncers running in this process, for pq's jest environment: a bouncer keeps its server connections
// (and their application_name) once a client has closed, so it checks no LISTEN connection then.
const RUNNING_BOUNCERS = Symbol.for('pq.testing.pgBouncers')
const running = ((globalThis as Record<symbol, unknown>)[RUNNING_BOUNCERS] ??= new Set<number>()) as Set<number>

/**
 * Starts PgBouncer on a free loopback port in transaction mode (trust auth, any database), in front
 * of the server of `serverUrl`. As root it runs as the `postgres` user: pgbouncer refuses root.
 */
export async function startPgBouncer(binary: string, serverUrl: string): Promise<PgBouncerHandle> {
  const server = new URL(serverUrl)
  const dir = mkdtempSync(join(tmpdir(), 'pq-pgbouncer-'))
  chmodSync(dir, 0o777)
  const port = await freePort()
  const user = decodeURIComponent(server.username || 'postgres')
  const password = decodeURIComponent(server.password)
  const auth = join(dir, 'users.txt')
  writeFileSync(auth, `"${user}" "${password}"\n`, { mode: 0o644 })
  const ini = join(dir, 'pgbouncer.ini')
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${server.hostname || '127.0.0.1'} port=${server.port || 5432}${password ? ` password=${password}` : ''}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${auth}`,
      'pool_mode = transaction',
      'max_client_conn = 500',
      'default_pool_size = 20',
      'ignore_startup_parameters = extra_float_digits',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
    ].join('\n') + '\n',
    { mode: 0o644 },
  )
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() ?? 'PgBouncer'
  const asRoot = process.getuid?.() === 0
  const child: ChildProcess = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), ini], { stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 10_000
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`pgbouncer did not start on port ${port} (see its log: run it by hand with ${ini})`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  running.add(port)
  return {
    version,
    via(url: string) {
      const u = new URL(url)
      u.hostname = '127.0.0.1'
      u.port = String(port)
      return u.toString()
    },
    async stop() {
      child.kill('SIGTERM')
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))])
      if (child.exitCode === null) child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
      running.delete(port)
    },
  }
}
