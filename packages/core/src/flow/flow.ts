import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import type pg from 'pg'
import { acquirePool, type ConnectionOption } from '../db/pools.js'
import { queryContext } from '../db/query-context.js'
import { schemaName } from '../db/schema-name.js'
import { readEnv } from '../config/env.js'
import type { FlowRow, JobRow } from '../db/tables.js'
import { InvalidOption, NoSuchFlow } from '../errors.js'
import { Job } from '../job/job.js'
import { WAITING_STATUSES, type JobHome } from '../job/job-data.js'
import { jobFetchMany } from '../job/job-read.js'
import { jobCancel } from '../job/job-operations.js'
import { Queue } from '../queue/queue.js'
import { FlowBuilder } from './flow-builder.js'
import { flowFetch, flowFindByName } from './flow-queries.js'

/** Every state a flow can be in, derived from its steps. */
export const FLOW_STATUSES = ['queued', 'started', 'finished', 'failed', 'canceled'] as const
/**
 * A flow's state: `queued` while no step has started; `started` once one has; `finished` when every
 * step has; `failed` when a step failed (later steps wait, deferred, until it is requeued); `canceled`
 * when a step was canceled (flow.cancel(), or a dependency deleted).
 */
export type FlowStatus = (typeof FLOW_STATUSES)[number]

/** Options of `Flow.run`. */
export interface FlowOptions {
  /** A name to find the flow by with `Flow.find`; names need not be unique. @defaultValue none */
  name?: string
}

/** Where `Flow.get` and `Flow.find` look: connection options, or a Queue whose pool and schema to use. */
export type FlowLookup = { connection?: ConnectionOption; schema?: string } | Queue

/** What a Flow.run block does: add steps with `f.enqueue`, `f.enqueueCall`, `f.schedule`, `f.on(queue)`. */
export type FlowBlock = (f: FlowBuilder) => void | Promise<void>

const WAITING = new Set<string>(WAITING_STATUSES)

/**
 * A workflow (django-pq's Flow): steps that run in sequence, each depending on the one before, on
 * one queue or several. Stored with its steps, in one statement, and kept as long as its final job.
 * A Flow's fields are a snapshot: `refresh()` reads them again.
 *
 * @example
 * const flow = await Flow.run(queue, { name: 'launch' }, (f) => {
 *   f.enqueue('rockets.fuel')
 *   f.enqueueCall({ func: 'rockets.check', args: [1, 2, 3] })
 *   f.enqueueAt(DateTime.fromISO('2030-01-01T00:00:00Z'), 'rockets.missionToMars')
 * })
 * await flow.refresh(); flow.status   // 'queued', 'started', 'finished', 'failed' or 'canceled'
 */
export class Flow {
  /** The flow's id. */
  readonly id: string
  /** Its name, or null. */
  readonly name: string | null
  /** The queue it was run on (its steps may be on others). */
  readonly queue: string
  /** Its steps' job ids, in order. */
  readonly jobs: readonly string[]
  readonly createdAt: DateTime
  /** Derived from the steps when last read. */
  status!: FlowStatus
  /** The steps that still exist, in order (finished steps go when their resultTtl passes). */
  steps!: Job[]
  /** When status is `failed`: the step that failed (requeue it to resume the flow). */
  failedStep: Job | undefined
  readonly #home: JobHome

  /** @internal Flows come from Flow.run, Flow.get and Flow.find. */
  constructor(home: JobHome, row: FlowRow, steps: Job[]) {
    this.#home = home
    this.id = row.id
    this.name = row.name
    this.queue = row.queue
    this.jobs = Object.freeze([...row.job_ids])
    this.createdAt = DateTime.fromJSDate(row.created_at).toUTC()
    this.#assign(steps)
  }

  /**
   * Runs `block` to collect steps, then writes them all and the flow record in one statement: the
   * whole flow exists or, when the block throws or a step is refused, none of it. Pass
   * `queue.using(client)` to write it inside your own transaction (it exists when you commit).
   * A flow with no steps is refused (InvalidOption).
   */
  static async run(queue: Queue, options: FlowOptions | FlowBlock, block?: FlowBlock): Promise<Flow> {
    const [opts, body] = typeof options === 'function' ? [{}, options] : [options ?? {}, block]
    if (!(queue instanceof Queue))
      throw new InvalidOption('queue', 'Flow.run takes a Queue first: Flow.run(queue, { name }, (f) => { ... })')
    if (typeof body !== 'function')
      throw new InvalidOption('block', 'Flow.run takes a block adding steps: Flow.run(queue, { name }, (f) => { f.enqueue(...) })')
    const name = flowName(opts.name)
    const builder = new FlowBuilder(queue, randomUUID(), name)
    try {
      await body(builder)
    } finally {
      builder.close()
    }
    const { rows, queues } = builder.close()
    if (rows.length === 0) {
      throw new InvalidOption(
        'steps',
        `flow ${name === null ? builder.id : JSON.stringify(name)} has no steps; add at least one with f.enqueue, f.enqueueCall or f.schedule inside the block`,
      )
    }
    const jobs = await queue.insertRows(rows, queues, { id: builder.id, name, queue: queue.name, jobIds: rows.map((r) => r.id) })
    const home = { ctx: queryContext(queue.pool, queue.schema), pool: queue.pool }
    const created = jobs[0]!.createdAt.toJSDate()
    return new Flow(home, { id: builder.id, name, queue: queue.name, job_ids: rows.map((r) => r.id), created_at: created }, jobs)
  }

  /** Reads a flow by id; undefined when there is none (never made, or swept with its final job), as every pq lookup. */
  static async get(id: string, options: FlowLookup = {}): Promise<Flow | undefined> {
    const home = lookupHome(options)
    const row = await flowFetch(home.ctx, { id })
    if (!row) return undefined
    return (await withSteps(home, [row]))[0]!
  }

  /** Every stored flow with this name, newest first. */
  static async find(name: string, options: FlowLookup = {}): Promise<Flow[]> {
    const home = lookupHome(options)
    return withSteps(home, await flowFindByName(home.ctx, { name: flowName(name) ?? '' }))
  }

  /** Reads the steps again. Throws NoSuchFlow once the flow has been swept. */
  async refresh(): Promise<this> {
    const row = await flowFetch(this.#home.ctx, { id: this.id })
    if (!row) throw new NoSuchFlow(this.id)
    const rows = await jobFetchMany(this.#home.ctx, { ids: [...this.jobs] })
    this.#assign(stepsInOrder(this.#home, this.jobs, rows))
    return this
  }

  /**
   * Cancels every step that has not started (and anything else that depends on them); a running step
   * finishes. Returns the ids canceled, and refreshes the flow.
   */
  async cancel(): Promise<string[]> {
    const canceled = await jobCancel(this.#home.ctx, { ids: [...this.jobs] })
    await this.refresh().catch((err) => {
      // Swept meanwhile: nothing left to show, and nothing was left to cancel.
      if (!(err instanceof NoSuchFlow)) throw err
    })
    return canceled
  }

  #assign(steps: Job[]): void {
    this.steps = steps
    const { status, failedStep } = deriveStatus(this.jobs, steps)
    this.status = status
    this.failedStep = failedStep
  }
}

/**
 * A flow's status from its steps. A missing step counts as finished: a step's row goes only when its
 * resultTtl passes (or at once with 0); a deleted step cancels the steps after it, which shows.
 */
function deriveStatus(ids: readonly string[], steps: Job[]): { status: FlowStatus; failedStep: Job | undefined } {
  const byId = new Map(steps.map((s) => [s.id, s]))
  const all = ids.map((id) => byId.get(id))
  if (all.some((s) => s?.status === 'canceled')) return { status: 'canceled', failedStep: undefined }
  const failed = all.find((s) => s?.status === 'failed' || s?.status === 'stopped')
  if (failed) return { status: 'failed', failedStep: failed }
  if (all.every((s) => !s || s.status === 'finished')) return { status: 'finished', failedStep: undefined }
  if (all.every((s) => s && WAITING.has(s.status) && s.attempts === 0)) return { status: 'queued', failedStep: undefined }
  return { status: 'started', failedStep: undefined }
}

function stepsInOrder(home: JobHome, ids: readonly string[], rows: JobRow[]): Job[] {
  const byId = new Map(rows.map((r) => [r.id, r]))
  return ids.flatMap((id) => {
    const row = byId.get(id)
    return row ? [new Job(home, row)] : []
  })
}

async function withSteps(home: JobHome, rows: FlowRow[]): Promise<Flow[]> {
  const jobs = await jobFetchMany(home.ctx, { ids: [...new Set(rows.flatMap((r) => r.job_ids))] })
  return rows.map((row) => new Flow(home, row, stepsInOrder(home, row.job_ids, jobs)))
}

/**
 * The pool-backed home a lookup reads through. A pool pq opens for a connection string is shared per
 * string and stays open for the Flows returned (closePools() ends it), as with Queue.all.
 */
function lookupHome(options: FlowLookup): JobHome {
  if (options instanceof Queue) return { ctx: queryContext(options.pool, options.schema), pool: options.pool }
  const env = readEnv(process.env)
  const { pool } = acquirePool(options.connection, env.databaseUrl) as { pool: pg.Pool }
  return { ctx: queryContext(pool, schemaName(options.schema ?? env.schema)), pool }
}

function flowName(name: unknown): string | null {
  if (name === undefined || name === null) return null
  if (typeof name !== 'string' || name.length === 0 || name.length > 200 || /[\u0000-\u001f]/.test(name)) {
    throw new InvalidOption('name', `invalid flow name ${JSON.stringify(name)}: use 1-200 printable characters`)
  }
  return name
}
