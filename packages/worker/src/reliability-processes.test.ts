import { describe, expect, it, jest } from '@jest/globals'
import { Queue } from '@pq/core'
import { useTestDatabase, FIXTURES_PATH, waitFor } from '@pq/core/testing'
import { Worker } from './worker.js'
import { useWorkerProcesses, type WorkerProcess } from './testing/worker-process.js'

// Real pq-worker processes whose tasks kill, block or break them (issue 13, items 1, 2 and 4).
const db = useTestDatabase()
// Each test on its own schema: a worker's sweeps and counts then see only the test's jobs.
const { schema, queue, pqWorker } = useWorkerProcesses(db, { runLog: true })
jest.setTimeout(120_000)
const row = async (id: string) =>
  (
    await db.pool.query<{ status: string; attempts: number; exc_info: string | null }>(
      `select status, attempts, exc_info from ${schema.name}.job where id = $1`,
      [id],
    )
  ).rows[0]!

describe('a job that kills its worker', () => {
  it('fails "worker lost N times" once its attempts are spent; jobs claimed ahead beside it go back unspent', async () => {
    const q = queue('poison')
    const before = await q.enqueueMany(Array.from({ length: 30 }, () => ({ func: 'fixtures.logRun' })))
    const poison = await q.enqueueCall({ func: 'fixtures.exitProcess', args: [7], retry: { max: 1 } })
    const after = await q.enqueueMany(Array.from({ length: 30 }, () => ({ func: 'fixtures.logRun' })))
    // A supervisor restarting the worker (each life under a fresh name, so only the heartbeat
    // timeout tells the next one its predecessor is gone). Before the fix the job never failed.
    const deaths: (number | null)[] = []
    for (let life = 0; life < 8 && (await row(poison.id)).status !== 'failed'; life++) {
      const w = pqWorker('poison', '--name', `poison-${life}`, '--heartbeat-timeout', '1')
      const exit = await Promise.race([
        w.exited,
        waitFor(async () => (await row(poison.id)).status === 'failed', { timeoutMs: 30_000, what: 'the poison job to fail' }).then(
          () => null,
        ),
      ])
      if (exit === null) {
        // The life that saw the poison fail still runs the jobs put back behind it: let it finish
        // them before stopping it (stopping at once left one queued on a slow machine).
        const others = [...before, ...after].map((j) => j.id)
        await waitFor(
          async () =>
            (
              await db.pool.query<{ n: number }>(
                `select count(*)::int as n from ${schema.name}.job where id = any($1) and status = 'finished'`,
                [others],
              )
            ).rows[0]!.n === others.length,
          { timeoutMs: 30_000, what: 'the other jobs to finish' },
        )
        w.kill('SIGTERM')
        await w.exited
        break
      }
      deaths.push(exit.code)
    }
    const p = await row(poison.id)
    expect(p.status).toBe('failed')
    expect(p.exc_info).toMatch(/^worker lost 2 times: poison-\d stopped while running this job/)
    expect(p.attempts).toBe(2)
    expect(deaths.length).toBeLessThanOrEqual(3)
    expect(deaths.every((code) => code === 7)).toBe(true)
    // Every other job ran and finished on its first attempt: none was failed as "worker lost".
    const { rows } = await db.pool.query<{ status: string; attempts: number; n: number }>(
      `select status, attempts, count(*)::int as n from ${schema.name}.job where id = any($1) group by 1, 2`,
      [[...before, ...after].map((j) => j.id)],
    )
    expect(rows).toEqual([{ status: 'finished', attempts: 1, n: 60 }])
  })

  it('records the outcome of a job that ran long enough to be marked begun before the next job can kill the worker', async () => {
    // The long job is marked begun (it runs past the 250 ms mark), finishes, and the next job kills
    // the worker at once. Before the fix its outcome was still in the completion batch when the
    // worker died, so rescue counted the death against it: "worker lost", failed, though it finished.
    const q = queue('lost-outcome')
    const long = await q.enqueueCall({ func: 'fixtures.logRun', args: [400] })
    const poison = await q.enqueueCall({ func: 'fixtures.exitProcess', args: [7] })
    const w = pqWorker('lost-outcome', '--name', 'lost-outcome', '--heartbeat-timeout', '1')
    expect((await w.exited).code).toBe(7)
    expect(await row(long.id)).toMatchObject({ status: 'finished', attempts: 1 })
    expect((await row(poison.id)).status).toBe('started')
  })

  it('records the outcome of a fast job a lost worker held (marked before it ran) before the next job can kill the worker', async () => {
    // A job rescue put back with confirm_start gets its begun mark before it runs, then ends at once;
    // the next job kills the worker. Before the fix only a job that ran past 250 ms kept its slot
    // until its outcome was committed, so this one stayed started with its mark and rescue would
    // have counted the death against it.
    const q = queue('confirmed-fast')
    // Short jobs first, so the worker claims ahead and the poison waits in its buffer behind the fast job.
    await q.enqueueMany(Array.from({ length: 20 }, () => ({ func: 'fixtures.logRun' })))
    const fast = await q.enqueueCall({ func: 'fixtures.logRun' })
    await db.pool.query(`update ${schema.name}.job set confirm_start = true where id = $1`, [fast.id])
    const poison = await q.enqueueCall({ func: 'fixtures.exitProcess', args: [7] })
    const w = pqWorker('confirmed-fast', '--name', 'confirmed-fast', '--concurrency', '1', '--heartbeat-timeout', '1')
    expect((await w.exited).code).toBe(7)
    expect(await row(fast.id)).toMatchObject({ status: 'finished', attempts: 1 })
    expect((await row(poison.id)).status).toBe('started')
  })

  it('does not loop forever on a task that blocks the event loop past the heartbeat timeout', async () => {
    const job = await queue('blocker').enqueueCall({ func: 'fixtures.blockLoop', args: [5000] })
    const workers = [
      pqWorker('blocker', '--name', 'block-a', '--heartbeat-timeout', '2'),
      pqWorker('blocker', '--name', 'block-b', '--heartbeat-timeout', '2'),
    ]
    await waitFor(async () => (await row(job.id)).status === 'failed', {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'the blocking job to fail',
    })
    const r = await row(job.id)
    expect(r.exc_info).toMatch(/^worker lost 1 time: block-[ab] stopped while running this job/)
    expect(r.attempts).toBe(1)
    for (const w of workers) w.kill('SIGKILL')
    for (const w of workers) await w.exited
  })
})

describe('stray errors from task code', () => {
  const strays = async (w: WorkerProcess, q: Queue, isolate: boolean) => {
    await w.waitForOutput(/Listening/)
    // A sleeping job runs beside the broken ones: it must finish, not fail as "worker lost".
    const beside = await q.enqueueCall({ func: 'fixtures.sleep', args: [1500] })
    const timer = await q.enqueueCall({ func: 'fixtures.throwFromTimer' })
    const rejection = await q.enqueueCall({ func: 'fixtures.rejectStray' })
    const later = await q.enqueueCall({ func: 'fixtures.throwLater' })
    expect(await beside.waitForResult({ timeout: 30 })).toBe(1500)
    expect(await later.waitForResult({ timeout: 30 })).toBe('returned')
    for (const [job, text] of [
      [timer, 'thrown from a timer while running'],
      [rejection, 'a rejection nobody handled'],
    ] as const) {
      await waitFor(async () => (await row(job.id)).status === 'failed', { what: `job ${job.func} to fail`, timeoutMs: 30_000 })
      expect((await row(job.id)).exc_info).toContain(text)
    }
    // The worker is still serving (an idle isolated thread that throws is terminated alone).
    await new Promise((resolve) => setTimeout(resolve, 300))
    const next = await q.enqueueCall({ func: 'fixtures.add', args: [2, 3] })
    expect(await next.waitForResult({ timeout: 30 })).toBe(5)
    expect(w.stderr()).toMatch(
      isolate
        ? /an idle job thread failed and was terminated: .*thrown from a timer after returning/
        : /threw after its run had ended: thrown from a timer after returning/,
    )
    w.kill('SIGTERM')
    expect((await w.exited).code).toBe(0)
  }

  it('fail the job they come from and never crash the worker', async () => {
    await strays(pqWorker('strays', '--name', 'strays', '--concurrency', '4'), queue('strays'), false)
  })

  it('under --isolate terminate only the thread they come from', async () => {
    await strays(pqWorker('strays-iso', '--name', 'strays-iso', '--concurrency', '4', '--isolate'), queue('strays-iso'), true)
  })
})

describe('a stray error no job can be blamed for', () => {
  it('stops the worker in good order, puts its jobs back, and rejects work()', async () => {
    const job = await queue('orphan-error').enqueueCall({ func: 'fixtures.sleepAbortable', args: [30_000] })
    const w = new Worker({
      queues: ['orphan-error'],
      connection: db.url,
      schema: schema.name,
      migrate: false,
      name: 'orphan-error',
      path: FIXTURES_PATH,
    })
    const started = new Promise((resolve) => w.once('job:started', resolve))
    const done = w.work()
    await started
    // Raised outside any job's async context, as an error of the app around the worker would be.
    setImmediate(() =>
      (process.emit as (event: string, ...args: unknown[]) => boolean)(
        'uncaughtException',
        new Error('nobody owns this'),
        'uncaughtException',
      ),
    )
    await expect(done).rejects.toThrow('nobody owns this')
    expect(await row(job.id)).toMatchObject({ status: 'queued', attempts: 0, exc_info: null })
  })
})

describe('a worker restarted under the same --name', () => {
  it('takes over its row at once when the previous process is gone, and rescues its jobs', async () => {
    const job = await queue('reborn-proc').enqueueCall({ func: 'fixtures.sleep', args: [60_000], retry: { max: 1 } })
    const first = pqWorker('reborn-proc', '--name', 'fixed-name')
    await waitFor(async () => (await db.pool.query(`select began from ${schema.name}.job where id = $1`, [job.id])).rows[0].began, {
      what: 'the job to begin',
    })
    first.kill('SIGKILL')
    await first.exited
    // The heartbeat timeout is the default 60 s: only the gone pid lets the new life in at once.
    const t0 = Date.now()
    const second = pqWorker('reborn-proc', '--name', 'fixed-name')
    await second.waitForOutput(new RegExp(`Recovered job ${job.id} from lost worker fixed-name: requeued`), { timeoutMs: 20_000 })
    // Rescued (its attempt spent: it was running) and taken again by the new life.
    await waitFor(
      async () => {
        const r = await row(job.id)
        return r.status === 'started' && r.attempts === 2
      },
      { what: 'the job to run again' },
    )
    expect(Date.now() - t0).toBeLessThan(20_000)
    second.kill('SIGKILL')
    await second.exited
  })
})

describe('a claim that fails', () => {
  it('is retried after its short pause, not at the next maintenance tick', async () => {
    // A real failure: the worker's role may not update jobs until the grant comes back.
    const role = `pq_claim_${Math.random().toString(36).slice(2, 8)}`
    // With a password: the embedded server (unlike this machine's) asks for one.
    await db.pool.query(`create role ${role} login password '${role}'; grant usage on schema ${schema.name} to ${role};
      grant all on all tables in schema ${schema.name} to ${role}; grant all on all sequences in schema ${schema.name} to ${role}`)
    try {
      const u = new URL(db.url)
      u.username = role
      u.password = role
      const w = new Worker({
        queues: ['claim-fails'],
        connection: u.toString(),
        schema: schema.name,
        migrate: false,
        path: FIXTURES_PATH,
        maintenanceInterval: 60,
        name: 'claim-fails',
      })
      const idle = new Promise<void>((resolve) => w.once('worker:idle', () => resolve()))
      const failed = new Promise((resolve) =>
        w.on('warning', (m) => {
          if (m.startsWith('claiming jobs failed')) resolve(m)
        }),
      )
      const done = w.work()
      // A worker that cannot start fails the test at once, not at its timeout.
      await Promise.race([
        idle,
        done.then(() => {
          throw new Error('the worker ended before it was idle')
        }),
      ])
      await db.pool.query(`revoke update on ${schema.name}.job from ${role}`)
      const job = await queue('claim-fails').enqueueCall({ func: 'fixtures.add', args: [1, 1] })
      await failed
      await db.pool.query(`grant update on ${schema.name}.job to ${role}`)
      const t0 = Date.now()
      expect(await job.waitForResult({ timeout: 20 })).toBe(2)
      // The pause is half a second; the next maintenance tick (which used to bring the retry) is a minute away.
      expect(Date.now() - t0).toBeLessThan(3000)
      await w.stop()
      await done
    } finally {
      await db.pool.query(`drop owned by ${role}; drop role ${role}`)
    }
  })
})
