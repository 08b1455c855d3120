import pg from 'pg'
import { InvalidOption } from '../errors.js'

/**
 * How pq is told which database to use: a pg Pool you own, a connection string, or pg pool config.
 * Omitted: `DATABASE_URL`, else libpq's `PG*` variables (see `readEnv`).
 */
export type ConnectionOption = pg.Pool | string | pg.PoolConfig

interface SharedPool {
  pool: pg.Pool
  users: number
}
const shared = new Map<string, SharedPool>()

/**
 * A pool for the given connection, and a release function. A Pool passed in is used as is and never
 * ended by pq; pools pq opens for a string or config are shared per connection string and ended when
 * the last user releases them.
 */
export function acquirePool(
  connection: ConnectionOption | undefined,
  fallbackUrl: string | undefined,
): { pool: pg.Pool; release: () => Promise<void> } {
  if (connection instanceof pg.Pool || (typeof connection === 'object' && connection !== null && 'totalCount' in connection)) {
    return { pool: connection as pg.Pool, release: async () => {} }
  }
  const config: pg.PoolConfig =
    typeof connection === 'string'
      ? { connectionString: checkedUrl(connection) }
      : (connection ?? (fallbackUrl ? { connectionString: checkedUrl(fallbackUrl) } : {}))
  const key = JSON.stringify(config)
  let entry = shared.get(key)
  if (!entry) {
    const pool = new pg.Pool({ max: 10, ...config })
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    pool.on('error', () => {})
    entry = { pool, users: 0 }
    shared.set(key, entry)
  }
  entry.users++
  const held = entry
  let released = false
  return {
    pool: held.pool,
    release: async () => {
      if (released) return
      released = true
      held.users--
      if (held.users === 0 && shared.get(key) === held) {
        shared.delete(key)
        await held.pool.end()
      }
    },
  }
}

/**
 * Refuses a connection string pg would misread: anything not a postgres:// (or postgresql://) URL
 * or a socket path reads as a host name ("notaurl" becomes host "base"), failing later as ENOTFOUND.
 */
function checkedUrl(url: string): string {
  if (/^postgres(ql)?:\/\//i.test(url) || url.startsWith('/') || url.startsWith('socket:')) return url
  const shown = url.includes('@') || url.length > 80 ? '(not shown: it may hold a password)' : JSON.stringify(url)
  throw new InvalidOption(
    'connection',
    `invalid database URL ${shown} (--database-url or DATABASE_URL): use postgres://user:password@host:5432/database`,
  )
}

/** Ends every pool pq opened for connection strings (for scripts that want a clean exit). */
export async function closePools(): Promise<void> {
  const entries = [...shared.values()]
  shared.clear()
  await Promise.all(entries.map((e) => e.pool.end()))
}
