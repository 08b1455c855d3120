// pq's jest environment: node's, plus the leftover guard every test file gets. A test that leaves a
// Worker (or a spawned pq-worker) running, or a stopped worker's LISTEN connection open, fails, naming
// what it left. It runs outside the test's module registry, so it finds the live workers through
// globalThis symbols that worker.ts, testing/worker-process.ts and useTestDatabase set.
import { TestEnvironment } from 'jest-environment-node'
import pg from 'pg'

const RUNNING_WORKERS = Symbol.for('pq.runningWorkers')
const WORKER_PROCESSES = Symbol.for('pq.testing.workerProcesses')
const TEST_DATABASE = Symbol.for('pq.testing.database')
const PG_BOUNCERS = Symbol.for('pq.testing.pgBouncers')
/** How long a stopped worker's LISTEN connection may take to leave pg_stat_activity. */
const LISTEN_GONE_MS = 3000
/** How long the guard waits for a leftover worker it stops. */
const STOP_MS = 5000

/** A failure that is its message: where in this file it was raised says nothing about the test. */
function leftover(message) {
  const error = new Error(message)
  error.stack = `Error: ${message}`
  return error
}

export default class PqTestEnvironment extends TestEnvironment {
  /** What was running when the current test started: started before it, not its doing. */
  #runningAtStart = new Set()
  /** A leftover still running once its test was done, and that test: judged once the file's hooks ran. */
  #startedBy = new Map()
  /** @type {pg.Client | undefined} */
  #admin

  async handleTestEvent(event, state) {
    if (event.name === 'test_start') this.#runningAtStart = new Set(this.#running().map((r) => r.ref))
    else if (event.name === 'test_done') await this.#afterTest(event.test)
    else if (event.name === 'run_finish') await this.#afterFile(state)
  }

  async teardown() {
    await this.#admin?.end().catch(() => {})
    await super.teardown()
  }

  /** In-process workers and spawned pq-worker processes running now, each with a name and a stop. */
  #running() {
    const workers = this.global[RUNNING_WORKERS]?.() ?? []
    const children = this.global[WORKER_PROCESSES]?.() ?? []
    return [
      ...workers.map((w) => ({ ref: w, process: false, what: `worker ${w.name}`, stop: () => w.stop('now') })),
      ...children.map(({ child, what }) => ({
        ref: child,
        process: true,
        what,
        stop: () =>
          new Promise((resolve) => {
            child.once('exit', resolve)
            child.kill('SIGKILL')
          }),
      })),
    ]
  }

  // After the test's afterEach hooks. A worker still running may yet be stopped by an afterAll (the
  // dashboard tests share theirs), so it is only noted here; a LISTEN connection of a stopped worker
  // must be gone by now.
  async #afterTest(test) {
    const running = this.#running()
    for (const r of running) if (!this.#runningAtStart.has(r.ref) && !this.#startedBy.has(r.ref)) this.#startedBy.set(r.ref, test)
    const database = this.global[TEST_DATABASE]
    // Only files that ran a worker; a live child holds its LISTEN connection legitimately, and so may
    // a bouncer's server connection whose client has gone.
    if (!database || !this.global[RUNNING_WORKERS] || running.some((r) => r.process) || this.global[PG_BOUNCERS]?.size) return
    const live = new Set(running.filter((r) => !r.process).map((r) => `pq-listen ${r.ref.name}`.slice(0, 63)))
    const open = await this.#openListenConnections(database, live)
    if (open.length)
      test.errors.push(leftover(`the test left ${open.map((n) => `LISTEN connection "${n}"`).join(', ')} open after its worker stopped`))
  }

  async #openListenConnections(database, live) {
    if (!this.#admin) {
      this.#admin = new pg.Client({ connectionString: process.env.PQ_TEST_SERVER_URL })
      this.#admin.on('error', () => {})
      await this.#admin.connect()
    }
    const deadline = Date.now() + LISTEN_GONE_MS
    for (;;) {
      const { rows } = await this.#admin.query(
        `select application_name as name from pg_stat_activity where datname = $1 and application_name like 'pq-listen %'`,
        [database],
      )
      const open = rows.map((r) => r.name).filter((n) => !live.has(n))
      if (open.length === 0 || Date.now() > deadline) return open
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  // After the file's afterAll hooks: whatever still runs was left behind. The test that started it
  // fails (or the file, for one started in a beforeAll), and it is stopped.
  async #afterFile(state) {
    for (const r of this.#running()) {
      const test = this.#startedBy.get(r.ref)
      if (test) test.errors.push(leftover(`the test left ${r.what} running: nothing stopped it, not even the file's afterAll hooks`))
      else state.unhandledErrors.push(leftover(`${r.what} was still running after the file's afterAll hooks`))
      await Promise.race([r.stop().catch(() => {}), new Promise((resolve) => setTimeout(resolve, STOP_MS).unref())])
    }
  }
}
