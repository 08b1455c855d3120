import type pg from 'pg'

/**
 * Guards a client checked out of a pool while pq holds it. pg-pool removes its own 'error' listener
 * from a client it hands out, so a connection that dies while held (Postgres restarting, an admin's
 * pg_terminate_backend) emitted an 'error' nobody listened to: an uncaught exception that stopped
 * the worker. The error is kept instead; the next query on the client fails with it, and `release`
 * hands the client back broken, so the pool drops it rather than lend it again.
 * @internal
 */
export function holdClient(client: pg.PoolClient): { release: () => void } {
  let lost: Error | undefined
  const onError = (err: Error) => {
    lost ??= err
  }
  client.on('error', onError)
  return {
    release: () => {
      client.removeListener('error', onError)
      client.release(lost)
    },
  }
}
