import { describe, expect, it } from '@jest/globals'
import { DateTime } from 'luxon'
import { useTestDatabase, waitFor } from '@pq/core/testing'
import { ListenWaker } from './listen-waker.js'

const db = useTestDatabase()
const listenConnections = async (name: string) =>
  (await db.pool.query('select pid from pg_stat_activity where datname = current_database() and application_name = $1', [name])).rows.length

describe('ListenWaker', () => {
  it('wakes on a committed NOTIFY and reports "listen" after its start-up probe', async () => {
    const waker = new ListenWaker({ connection: { connectionString: db.url, application_name: 'lw-wake' }, channels: ['lw_wake'] })
    expect(await waker.start()).toBe(true)
    expect(waker.mode).toBe('listen')
    const woke = waker.wait(DateTime.utc().plus({ seconds: 5 }), new AbortController().signal)
    await db.pool.query(`select pg_notify('lw_wake', '{}')`)
    expect(await woke).toBe('notified')
    await waker.close()
    await waitFor(async () => (await listenConnections('lw-wake')) === 0, { what: 'the LISTEN connection to close' })
  })

  it('leaves no connection behind when closed while pg-listen is reconnecting', async () => {
    const waker = new ListenWaker({ connection: { connectionString: db.url, application_name: 'lw-close' }, channels: ['lw_close'] })
    await waker.start()
    const closed = new Promise<void>((resolve) => {
      // Close at the very moment pg-listen starts reconnecting: its own close() would end the old
      // client only, and the new one would connect afterwards and live on.
      waker.on('mode', (mode) => {
        if (mode === 'poll') void waker.close().then(resolve)
      })
    })
    await db.pool.query(`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and application_name = 'lw-close'`)
    await closed
    // The reconnect completes in a moment; then the waker must close that connection too.
    await waitFor(async () => (await listenConnections('lw-close')) === 0, { what: 'every LISTEN connection to close', timeoutMs: 5000 })
    // And stay closed (a late reconnect would show up here).
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await listenConnections('lw-close')).toBe(0)
  })
})
