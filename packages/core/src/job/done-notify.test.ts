import { describe, expect, it } from '@jest/globals'
import pg from 'pg'
import { Queue } from '../queue/queue.js'
import { doneChannel } from '../db/channels.js'
import { queryContext } from '../db/query-context.js'
import { useTestDatabase } from '../testing/index.js'
import { jobClaim } from './job-claim.js'
import { jobFinishMany } from './job-finish.js'

const db = useTestDatabase()

/** Payloads on the done channel up to a sentinel sent after `act` (notifications arrive in commit order). */
async function doneNotifications(act: () => Promise<void>): Promise<string[]> {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  const seen: string[] = []
  let sentinel: () => void
  const arrived = new Promise<void>((resolve) => {
    sentinel = resolve
  })
  client.on('notification', (msg) => {
    if (msg.payload === 'sentinel') sentinel()
    else seen.push(msg.payload ?? '')
  })
  try {
    await client.query(`listen ${pg.escapeIdentifier(doneChannel('pq'))}`)
    await act()
    await db.pool.query('select pg_notify($1, $2)', [doneChannel('pq'), 'sentinel'])
    await arrived
    return seen
  } finally {
    await client.end()
  }
}

const finish = async (ids: string[]) => {
  await jobFinishMany(db.ctx, {
    worker: 'w',
    releaseSerial: false,
    outcomes: ids.map((id) => ({ id, status: 'finished' as const, result: '1', excInfo: null, retryAt: null })),
  })
}

describe('the done notification', () => {
  it('is sent only for jobs someone waits for, and waitForResult registers and leaves', async () => {
    const q = new Queue('done-notify', { connection: db.url })
    const [unwatched, watched] = await q.enqueueMany([
      { func: 'fixtures.add', args: [1, 1] },
      { func: 'fixtures.add', args: [2, 2] },
    ])
    await jobClaim(db.ctx, { queue: 'done-notify', limit: 2, worker: 'w' })
    // Nobody waits: the completion notifies nobody.
    expect(await doneNotifications(() => finish([unwatched!.id]))).toEqual([])
    // A waiter: its job's completion is announced, and the wait returns with the result.
    const waiting = watched!.waitForResult({ timeout: 30 })
    await waitForWaiter(watched!.id)
    const seen = await doneNotifications(() => finish([watched!.id]))
    expect(seen).toEqual([watched!.id])
    expect(await waiting).toBe(1)
    expect((await db.pool.query('select count(*)::int as n from pq.job_waiter')).rows[0].n).toBe(0)
    await q.close()
  })
})

describe('waitForResult', () => {
  it('returns the result of a completion that was being written while it registered', async () => {
    const q = new Queue('done-race', { connection: db.url })
    const [job] = await q.enqueueMany([{ func: 'fixtures.add', args: [3, 4] }])
    await jobClaim(db.ctx, { queue: 'done-race', limit: 1, worker: 'w' })
    // A completion holding the job's row, not yet committed: it looked for waiters before this one.
    const completing = new pg.Client({ connectionString: db.url })
    await completing.connect()
    try {
      await completing.query('begin')
      await jobFinishMany(queryContext(completing, 'pq'), {
        worker: 'w',
        releaseSerial: false,
        outcomes: [{ id: job!.id, status: 'finished', result: '7', excInfo: null, retryAt: null }],
      })
      // No recheck within the timeout: only the registration's wait for the row lock, then its read,
      // can see this end (the completion will not notify: it found no waiter).
      const waiting = job!.waitForResult({ timeout: 10, recheckInterval: 60 })
      await waitForLockWait()
      await completing.query('commit')
      expect(await waiting).toBe(7)
    } finally {
      await completing.end()
      await q.close()
    }
  })
})

/** Until a backend waits for a row lock held by another (the waiter's registration, here). */
async function waitForLockWait(): Promise<void> {
  for (;;) {
    const { rows } = await db.pool.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%job_waiter%'`)
    if (rows.length) return
    await new Promise((r) => setTimeout(r, 10))
  }
}

async function waitForWaiter(id: string): Promise<void> {
  for (;;) {
    const { rows } = await db.pool.query('select 1 from pq.job_waiter where job_id = $1', [id])
    if (rows.length) return
    await new Promise((r) => setTimeout(r, 10))
  }
}
