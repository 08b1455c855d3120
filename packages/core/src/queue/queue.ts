import { DateTime } from 'luxon'
import type pg from 'pg'
import { acquirePool, type ConnectionOption } from '../db/pools.js'
import { queryContext, type Executor, type QueryContext } from '../db/query-context.js'
import { inTransaction } from '../db/transaction.js'
import { schemaName } from '../db/schema-name.js'
import { readEnv } from '../config/env.js'
import { toSeconds, toTtlSeconds, MAX_TIMEOUT_SECONDS, type DurationInput } from '../config/duration.js'
import { NoSuchJob, DependencyCycle, InvalidOption, PqError, listSome } from '../errors.js'
import { asConnectionError } from '../db/pg-errors.js'
import type { JobRow } from '../db/tables.js'
import { Job } from '../job/job.js'
import type { JobHome, JobStatus } from '../job/job-data.js'
import { JOB_STATUSES } from '../job/job-data.js'
import {
  resolveEnqueueCall,
  toPriority,
  DEFAULT_FAILURE_TTL,
  DEFAULT_RESULT_TTL,
  type EnqueueCall,
  type TypedEnqueueCall,
  type QueueDefaults,
} from '../job/enqueue-options.js'
import { jobInsertMany, type JobInsertRow, type FlowInsert } from '../job/job-insert.js'
import { jobStatuses, jobFetch, jobIdsInQueue, jobCount, jobList } from '../job/job-read.js'
import { jobEmptyQueue, jobRecordOutcome } from '../job/job-operations.js'
import { queueList, queuePause, queueResume, queuePausedList } from './queue-queries.js'
import { queueName } from './queue-name.js'
import { resolveFunction } from '../tasks/resolve-function.js'
import type { TaskArgs, TaskResult } from '../tasks/task-registry.js'
import { runTask, formatError, errorParts } from '../tasks/run-task.js'
import { deleteJobs } from '../job/job-delete.js'
import { Schedule, resolveScheduleCall, insertSchedule, type ScheduleCall } from '../schedule/schedule.js'
import type { AtInput } from '../schedule/schedule-rules.js'

/** Options of a Queue. */
export interface QueueOptions {
  /** The database: a pg Pool (yours, never ended by pq), a connection string or pool config. @defaultValue DATABASE_URL, else libpq's PG* variables */
  connection?: ConnectionOption
  /** The Postgres schema holding pq's tables. @defaultValue PQ_SCHEMA, else 'pq' */
  schema?: string
  /** Default timeout of this queue's jobs (seconds or '10m'). @defaultValue the worker's default, 600 s */
  timeout?: DurationInput
  /** Default resultTtl of this queue's jobs. @defaultValue 500 s */
  resultTtl?: DurationInput
  /** Default failureTtl of this queue's jobs. @defaultValue one year */
  failureTtl?: DurationInput
  /** False runs each job at once, in this process, for tests and development. @defaultValue true */
  isAsync?: boolean
  /** At most one job of this queue runs at a time across all workers (django-pq's SerialQueue). @defaultValue false */
  serial?: boolean
  /** Run this queue's jobs in a thread killed at the timeout. @defaultValue the worker's setting */
  isolate?: boolean
  /** Default priority of the jobs enqueued through this Queue (lower runs first). @defaultValue 0 */
  priority?: number
  /** Tasks root for isAsync false runs. @defaultValue PQ_PATH, else the current directory */
  path?: string
}

/** Pagination of job listings. */
export interface PageOptions {
  offset?: number
  limit?: number
}

interface Source {
  pool: pg.Pool
  release: () => Promise<void>
  home: JobHome
}

/**
 * A named queue of jobs in Postgres: enqueue calls to functions by name, inside your own transaction
 * when you pass one (`queue.using(client)`), and read the queue back.
 *
 * @example
 * const queue = new Queue('emails', { connection: process.env.DATABASE_URL })
 * await queue.enqueue('emails.welcome.send', 'ada@example.com')
 * await queue.using(client).enqueue('audit.record', orderId)   // client is inside your BEGIN
 */
export class Queue {
  readonly name: string
  readonly schema: string
  readonly isAsync: boolean
  readonly serial: boolean
  readonly path: string
  readonly defaults: Readonly<QueueDefaults>
  readonly #source: Source
  readonly #exec: QueryContext

  constructor(name = 'default', options: QueueOptions = {}, bound?: { source: Source; exec: QueryContext }) {
    this.name = queueName(name)
    const env = readEnv(process.env)
    this.schema = schemaName(options.schema ?? env.schema)
    this.isAsync = options.isAsync ?? true
    this.serial = options.serial ?? false
    this.path = options.path ?? env.path ?? process.cwd()
    this.defaults = Object.freeze({
      timeout: options.timeout === undefined ? null : toSeconds('timeout', options.timeout, MAX_TIMEOUT_SECONDS),
      resultTtl:
        options.resultTtl === undefined ? Number(env.defaultResultTtl ?? DEFAULT_RESULT_TTL) : toTtlSeconds('resultTtl', options.resultTtl),
      failureTtl: options.failureTtl === undefined ? DEFAULT_FAILURE_TTL : toTtlSeconds('failureTtl', options.failureTtl),
      isolate: options.isolate ?? null,
      priority: options.priority === undefined ? 0 : toPriority('priority', options.priority),
    })
    this.#options = options
    if (bound) {
      this.#source = bound.source
      this.#exec = bound.exec
    } else {
      const { pool, release } = acquirePool(options.connection, env.databaseUrl)
      const ctx = queryContext(pool, this.schema)
      this.#source = { pool, release, home: { ctx, pool } }
      this.#exec = ctx
    }
  }

  readonly #options: QueueOptions

  /** The pg Pool this queue uses. */
  get pool(): pg.Pool {
    return this.#source.pool
  }

  /**
   * This queue, writing through your connection: a pg client inside BEGIN, or a Kysely transaction.
   * Jobs enqueued through it exist, and wake workers, exactly when your transaction commits.
   */
  using(executor: Executor): Queue {
    return new Queue(this.name, this.#options, { source: this.#source, exec: queryContext(executor, this.schema) })
  }

  /**
   * Enqueues a call of `func` with positional arguments (RQ's `enqueue`). A name declared in
   * `PqTasks` gets its task's argument and result types.
   */
  async enqueue<N extends string>(func: N, ...args: TaskArgs<N>): Promise<Job<TaskResult<N>>> {
    return this.enqueueCall({ func, args })
  }

  /** Enqueues a call with options (RQ's `enqueue_call`); typed as `enqueue` for declared names. */
  async enqueueCall<N extends string>(call: TypedEnqueueCall<N>): Promise<Job<TaskResult<N>>> {
    const [job] = await this.enqueueMany([call])
    return job as Job<TaskResult<N>>
  }

  /**
   * Enqueues many calls in one statement: all of them or, on any error, none. Calls may depend on
   * each other (by jobId) and on existing jobs.
   */
  async enqueueMany(calls: readonly EnqueueCall[]): Promise<Job[]> {
    // Checked for JavaScript callers; a separate name keeps Array.isArray from narrowing `calls` to any[].
    const given: unknown = calls
    if (!Array.isArray(given)) throw new InvalidOption('calls', 'enqueueMany takes an array of calls')
    // One instant for the whole batch, made only if a call asks for it (`in`).
    let now: DateTime | undefined
    const batchNow = () => (now ??= DateTime.utc())
    const rows = calls.map((call, i) => {
      try {
        return resolveEnqueueCall(this.name, call, this.defaults, batchNow)
      } catch (err) {
        // Say which call of the batch is wrong, not only which of its fields.
        if (err instanceof PqError && calls.length > 1) err.message = `calls[${i}]: ${err.message}`
        throw err
      }
    })
    return this.insertRows(rows)
  }

  /**
   * Validates dependencies and writes prepared rows; flows and schedules reuse it. @internal
   */
  async insertRows(
    rows: JobInsertRow[],
    extraQueues: { name: string; serial: boolean }[] = [],
    flow: FlowInsert | null = null,
  ): Promise<Job[]> {
    try {
      await this.#checkDependencies(rows)
      const queues = [{ name: this.name, serial: this.serial }, ...extraQueues.filter((x) => x.name !== this.name)]
      if (!this.isAsync) return await this.#runInProcess(rows, queues, flow)
      const inserted = await jobInsertMany(this.#exec, { rows, queues, flow })
      return inserted.map((row) => this.#job(row))
    } catch (err) {
      throw asConnectionError(err, this.#options.connection)
    }
  }

  /**
   * Schedules a call of `func` at `at` (a DateTime, a Date, an ISO 8601 string, or 'now'); workers
   * enqueue it when due. Written through `using(...)`'s connection when given, like enqueue.
   */
  async schedule(at: AtInput, func: string, ...args: unknown[]): Promise<Schedule> {
    return this.scheduleCall(at, { func, args })
  }

  /**
   * Schedules a call with a rule: `repeat` (0 once, N more times, -1 forever, or a date), `interval`
   * (seconds, ISO 8601 'P1M', or `{ months: 1, days: -1 }`), `until`, `between` ('2:00/18:30'),
   * `weekdays` ([0..6] from Monday, or 'MO'..'SU'), `cron`, `tz`, plus enqueue options for each run.
   *
   * @example await queue.scheduleCall('now', { func: 'reports.daily', repeat: -1, interval: 'P1D', between: '2:00/5:00', tz: 'Europe/Paris' })
   */
  async scheduleCall(at: AtInput, call: ScheduleCall): Promise<Schedule> {
    const row = resolveScheduleCall(this.name, at, call, this.defaults)
    return insertSchedule(this.#exec, row, this.serial)
  }

  /** Reads a job by id; undefined when there is none (RQ's `fetch_job`). */
  async fetchJob(id: string): Promise<Job | undefined> {
    const row = await jobFetch(this.#exec, { id })
    return row ? this.#job(row) : undefined
  }

  /** How many jobs wait in this queue (status queued; RQ's `count`). */
  async count(statuses: readonly JobStatus[] = ['queued']): Promise<number> {
    return jobCount(this.#exec, { queue: this.name, statuses })
  }

  /**
   * Ids of the queued jobs, in the order workers take them: all of them (RQ's `job_ids`), or one
   * page with `limit` (and `offset`). Unlike `jobs()`, whose pages default to 100, nothing is cut.
   */
  async jobIds(page: PageOptions = {}): Promise<string[]> {
    const limit = page.limit ?? null
    if (limit !== null && (!Number.isInteger(limit) || limit < 1))
      throw new InvalidOption('limit', `invalid limit ${JSON.stringify(limit)}: use a whole number from 1`)
    const offset = page.offset ?? 0
    if (!Number.isInteger(offset) || offset < 0)
      throw new InvalidOption('offset', `invalid offset ${JSON.stringify(offset)}: use a whole number from 0`)
    return jobIdsInQueue(this.#exec, { queue: this.name, statuses: ['queued'], offset, limit })
  }

  /** Jobs of this queue in the given states (queued by default), paginated, in the order workers take them. */
  async jobs(page: PageOptions & { statuses?: readonly JobStatus[] } = {}): Promise<Job[]> {
    const statuses = page.statuses ?? ['queued']
    for (const s of statuses)
      if (!JOB_STATUSES.includes(s)) throw new InvalidOption('statuses', `unknown status "${s}"; use ${JOB_STATUSES.join(', ')}`)
    const rows = await jobList(this.#exec, {
      queue: this.name,
      statuses,
      offset: page.offset ?? 0,
      limit: page.limit ?? 100,
      order: 'position',
    })
    return rows.map((row) => this.#job(row))
  }

  /** Deletes every waiting job of the queue (dependents are canceled). Returns how many were deleted. */
  async empty(): Promise<number> {
    return jobEmptyQueue(this.#exec, { queue: this.name })
  }

  /**
   * Pauses the queue: it keeps accepting jobs, but no worker claims from it until `resume()`. Jobs
   * already running finish. The state lives in Postgres, so it holds across restarts and for every
   * worker. Pausing a paused queue changes nothing. Returns when the queue was paused.
   */
  async pause(): Promise<DateTime> {
    return DateTime.fromJSDate(await queuePause(this.#exec, { name: this.name })).toUTC()
  }

  /** Resumes a paused queue and wakes its workers. Returns false when it was not paused. */
  async resume(): Promise<boolean> {
    return queueResume(this.#exec, { name: this.name })
  }

  /** Whether the queue is paused. */
  async isPaused(): Promise<boolean> {
    return (await queuePausedList(this.#exec)).has(this.name)
  }

  /**
   * Deletes one job that is not running; jobs that depend on it are canceled. Throws NoSuchJob when
   * there is none, InvalidState when it is running (it must end first).
   */
  async delete(jobId: string): Promise<void> {
    const { refused } = await deleteJobs(this.#exec, [jobId])
    if (refused[0]) throw refused[0]
  }

  /** Releases this queue's pool when pq opened it (a Pool you passed stays open). */
  async close(): Promise<void> {
    await this.#source.release()
  }

  /** Every queue known to the database (every queue ever enqueued to), by name. */
  static async all(options: QueueOptions = {}): Promise<Queue[]> {
    // The returned queues share the probe's pool; it stays open until closePools() or process exit.
    const probe = new Queue('default', options)
    const rows = await queueList(probe.#exec, {})
    return rows.map((row) => new Queue(row.name, { ...options, serial: row.serial }, { source: probe.#source, exec: probe.#exec }))
  }

  #job(row: JobRow): Job {
    return new Job(this.#source.home, row)
  }

  async #checkDependencies(rows: JobInsertRow[]): Promise<void> {
    // Without dependencies there is nothing to look up and no cycle (most bulk enqueues).
    if (rows.every((row) => row.dependsOn.length === 0)) return
    const batch = new Map(rows.map((row) => [row.id, row]))
    const external = [...new Set(rows.flatMap((row) => row.dependsOn.filter((id) => !batch.has(id))))]
    if (external.length > 0) {
      const found = await jobStatuses(this.#exec, { ids: external })
      const missing = external.filter((id) => !found.has(id))
      if (missing.length > 0)
        throw new NoSuchJob(
          missing[0]!,
          `dependsOn names ${missing.length === 1 ? 'a job that does' : `${missing.length.toLocaleString('en-US')} jobs that do`} not exist: ${listSome(missing)}`,
        )
    }
    const cycle = findCycle(batch)
    if (cycle) throw new DependencyCycle(cycle)
  }

  /** isAsync false: each job runs here and now, and is stored with its outcome. */
  async #runInProcess(rows: JobInsertRow[], queues: { name: string; serial: boolean }[], flow: FlowInsert | null): Promise<Job[]> {
    if (this.#exec !== this.#source.home.ctx) return this.#runEach(this.#exec, rows, queues, flow)
    // On the pool, insert and outcome share a transaction, so no worker can claim the job between them.
    return inTransaction(this.#source.pool, (client) => this.#runEach(queryContext(client, this.schema), rows, queues, flow))
  }

  async #runEach(
    ctx: QueryContext,
    rows: JobInsertRow[],
    queues: { name: string; serial: boolean }[],
    flow: FlowInsert | null,
  ): Promise<Job[]> {
    const jobs: Job[] = []
    for (const [i, row] of rows.entries()) {
      const [inserted] = await jobInsertMany(ctx, { rows: [row], queues, flow: i === 0 ? flow : null })
      // A dependency that failed or was canceled keeps this job waiting, in-process as with workers.
      if (inserted!.status === 'deferred' || inserted!.status === 'canceled') {
        jobs.push(this.#job(inserted!))
        continue
      }
      const job = new Job({ ctx, pool: this.#source.pool }, inserted!)
      const startedAt = DateTime.utc()
      const fn = await resolveFunction(row.func, this.path)
      const outcome = await runTask(fn, job)
      const recorded = await jobRecordOutcome(ctx, {
        id: job.id,
        startedAt,
        status: outcome.ok ? 'finished' : 'failed',
        result: outcome.ok ? JSON.stringify(outcome.result) : null,
        excInfo: outcome.ok ? null : formatError(outcome.error),
        ...(outcome.ok ? {} : (({ errorClass, message }) => ({ errorClass, errorMessage: message }))(errorParts(outcome.error))),
      })
      const final = recorded ?? { ...inserted!, status: 'finished', result: outcome.ok ? outcome.result : null }
      jobs.push(this.#job(final))
    }
    return jobs
  }
}

/** A dependency cycle among jobs of one batch, as a path of ids, or undefined. */
function findCycle(batch: Map<string, JobInsertRow>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>()
  const path: string[] = []
  const visit = (id: string): string[] | undefined => {
    const s = state.get(id)
    if (s === 'done') return undefined
    if (s === 'visiting') return [...path.slice(path.indexOf(id)), id]
    state.set(id, 'visiting')
    path.push(id)
    for (const dep of batch.get(id)?.dependsOn ?? []) {
      if (!batch.has(dep)) continue
      const found = visit(dep)
      if (found) return found
    }
    path.pop()
    state.set(id, 'done')
    return undefined
  }
  for (const id of batch.keys()) {
    const found = visit(id)
    if (found) return found
  }
  return undefined
}
