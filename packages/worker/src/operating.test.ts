import { describe, expect, it } from '@jest/globals'
import { ATTEMPT_HISTORY_SIZE } from '@pq/core'
import { useTestDatabase, nextEvent, waitFor } from '@pq/core/testing'
import { Worker, type Logger } from '@pq/worker'
import { useTestWorkers } from './testing/test-workers.js'

const db = useTestDatabase()
const { queue, worker } = useTestWorkers(db, 'now')
const statusOf = async (id: string) =>
  (await db.pool.query<{ status: string }>('select status from pq.job where id = $1', [id])).rows[0]?.status

describe('a paused queue', () => {
  it('is not claimed from by a running worker until resumed; then its jobs run at once', async () => {
    const paused = queue('op-paused')
    const open = queue('op-open')
    await paused.pause()
    const waiting = await paused.enqueue('fixtures.add', 1, 2)
    const w = worker({ queues: ['op-paused', 'op-open'] })
    void w.work()
    const ran = await open.enqueue('fixtures.add', 3, 4)
    await waitFor(async () => (await statusOf(ran.id)) === 'finished', { what: "the open queue's job", timeoutMs: 15000 })
    // The worker claimed after the open queue's job and went idle: the paused one still waits.
    await nextEvent(w, 'worker:idle', { timeoutMs: 15000 }).catch(() => {})
    expect(await statusOf(waiting.id)).toBe('queued')
    const finished = nextEvent(w, 'job:finished', { timeoutMs: 15000 })
    expect(await paused.resume()).toBe(true)
    await finished
    expect(await statusOf(waiting.id)).toBe('finished')
    await Promise.all([paused.close(), open.close()])
  })

  it('lets a burst worker finish instead of waiting for it', async () => {
    const q = queue('op-burst-paused')
    await q.enqueue('fixtures.add', 1, 1)
    await q.pause()
    const w = worker({ queues: ['op-burst-paused'], burst: true })
    await w.work()
    expect(await q.count()).toBe(1)
    await q.close()
  })
})

describe('attempt history', () => {
  it("keeps each failed attempt's class, message, stack, time and worker, oldest first", async () => {
    const q = queue('op-attempts')
    const job = await q.enqueueCall({ func: 'fixtures.failUntilAttempt', args: [3], retry: { max: 3 } })
    await worker({ queues: ['op-attempts'], burst: true, name: 'attempt-worker' }).work()
    await job.refresh()
    expect(job.status).toBe('finished')
    expect(job.attemptHistory.map((a) => [a.attempt, a.errorClass, a.message, a.worker])).toEqual([
      [1, 'Error', 'attempt 1 fails on purpose', 'attempt-worker'],
      [2, 'Error', 'attempt 2 fails on purpose', 'attempt-worker'],
    ])
    expect(job.attemptHistory[0]!.stack).toMatch(/^Error: attempt 1 fails on purpose\n\s+at /)
    expect(job.attemptHistory[0]!.at.isValid).toBe(true)
    expect(job.attemptHistory[0]!.at <= job.attemptHistory[1]!.at).toBe(true)
    await q.close()
  })

  it(`keeps only the last ${ATTEMPT_HISTORY_SIZE} attempts, and records a final failure and a timeout's class`, async () => {
    const q = queue('op-attempts-many')
    const job = await q.enqueueCall({ func: 'fixtures.fail', args: ['always'], retry: { max: ATTEMPT_HISTORY_SIZE + 2 } })
    const slow = await q.enqueueCall({ func: 'fixtures.sleepAbortable', args: [5000], timeout: 0.2 })
    await worker({ queues: ['op-attempts-many'], burst: true }).work()
    await job.refresh()
    expect(job.status).toBe('failed')
    expect(job.attempts).toBe(ATTEMPT_HISTORY_SIZE + 3)
    expect(job.attemptHistory.map((a) => a.attempt)).toEqual(Array.from({ length: ATTEMPT_HISTORY_SIZE }, (_, i) => i + 4))
    expect(job.attemptHistory.every((a) => a.message === 'always')).toBe(true)
    await slow.refresh()
    expect(slow.attemptHistory.map((a) => a.errorClass)).toEqual(['JobTimeout'])
    await q.close()
  })
})

describe('the logger option and metrics()', () => {
  it("sends the worker's lines through any object with debug/info/warn/error, with structured fields", async () => {
    const lines: [string, Record<string, unknown>, string][] = []
    const logger: Logger = Object.fromEntries(
      (['debug', 'info', 'warn', 'error'] as const).map((level) => [
        level,
        (fields: Record<string, unknown>, message: string) => {
          lines.push([level, fields, message])
        },
      ]),
    ) as unknown as Logger
    const q = queue('op-log')
    const ok = await q.enqueue('fixtures.add', 1, 1)
    const bad = await q.enqueue('fixtures.fail', 'boom')
    await worker({ queues: ['op-log'], burst: true, logger }).work()
    expect(lines).toContainEqual([
      'info',
      expect.objectContaining({ event: 'job:finished', id: ok.id, queue: 'op-log' }),
      `op-log: Job OK (${ok.id})`,
    ])
    expect(lines).toContainEqual([
      'error',
      expect.objectContaining({ event: 'job:failed', id: bad.id, error: 'Error: boom' }),
      `op-log: Job failed (${bad.id}): Error: boom`,
    ])
    expect(lines).toContainEqual(['debug', expect.objectContaining({ event: 'job:result', id: ok.id }), 'Result: 2'])
    expect(lines.at(-1)).toEqual([
      'info',
      { event: 'worker:stopped', reason: 'No more work, burst finished.' },
      'No more work, burst finished.',
    ])
    await q.close()
  })

  it('refuses a logger without the four methods, saying which are missing', () => {
    expect(() => new Worker({ connection: db.url, logger: { info() {}, error() {} } as unknown as Logger })).toThrow(
      'the logger has no debug, warn methods; pass an object with debug, info, warn and error (a pino logger, or console)',
    )
  })

  it('counts claim waits and run times in histograms, and stores them with the heartbeat', async () => {
    const q = queue('op-metrics')
    await q.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ func: 'fixtures.add', args: [i, i] })))
    const w = worker({ queues: ['op-metrics'], name: 'metrics-worker' })
    void w.work()
    await waitFor(() => w.metrics().processed === 5 || undefined, { what: 'five jobs', timeoutMs: 15000 })
    const m = w.metrics()
    expect(m.runSeconds.count).toBe(5)
    expect(m.claimWaitSeconds.count).toBe(5)
    expect(m.runSeconds.counts.at(-1)).toBe(5) // cumulative: the last bucket holds them all
    expect(m.runSeconds.counts).toEqual([...m.runSeconds.counts].sort((a, b) => a - b))
    const stored = await waitFor(
      async () =>
        (
          await db.pool.query<{ metrics: { runSeconds: { count: number } } | null }>(
            `select metrics from pq.worker where name = 'metrics-worker'`,
          )
        ).rows[0]?.metrics?.runSeconds.count === 5 || undefined,
      { what: 'the heartbeat to store the histograms', timeoutMs: 15000 },
    )
    expect(stored).toBe(true)
    await q.close()
  })
})
