import { hostname } from 'node:os'
import type { Logger } from './worker-logging.js'
import type { ConnectionOption, ResolveOptions, TaskMap } from '@pq/core'
import { InvalidOption, DEFAULT_JOB_TIMEOUT } from '@pq/core'
import {
  queueName,
  schemaName,
  toSeconds,
  functionName,
  MAX_TIMEOUT_SECONDS,
  DEFAULT_LIVE_SECONDS,
  type DurationInput,
} from '@pq/core/internal'

/** Options of a Worker; every field has a default. */
export interface WorkerOptions {
  /** Queues to serve, highest priority first; empty serves every queue. @defaultValue [] */
  queues?: readonly string[]
  /** The database. @defaultValue DATABASE_URL, else libpq's PG* variables */
  connection?: ConnectionOption
  /** pq's schema. @defaultValue PQ_SCHEMA, else 'pq' */
  schema?: string
  /** Jobs run at once in this process. @defaultValue 1 */
  concurrency?: number
  /** Exit once every served queue has nothing runnable. @defaultValue false */
  burst?: boolean
  /** Unique among live workers. @defaultValue `${hostname}.${pid}` (`.2`, `.3`... for more Workers in one process) */
  name?: string
  /** Tasks root for 'module.fn' names. @defaultValue PQ_PATH, else the current directory */
  path?: string
  /**
   * Task functions by name (`{ 'emails.send': send }`), tried before the tasks root: what a bundled
   * application, which has no task files on disk, passes. Refused with `isolate`, whose threads
   * load tasks from files. @defaultValue {}
   */
  tasks?: TaskMap
  /** Installed packages whose exports jobs may call ('pkg.fn'); others are never tasks. @defaultValue [] */
  taskPackages?: readonly string[]
  /** Seconds between polls (and connection recycling) while LISTEN works. @defaultValue PQ_WORKER_TTL, else 420 */
  workerTtl?: DurationInput
  /** Poll interval while LISTEN is unavailable. @defaultValue 1 s */
  fallbackPollInterval?: DurationInput
  /** Seconds without a heartbeat after which other workers declare this one lost. @defaultValue 60 */
  heartbeatTimeout?: DurationInput
  /** Default job timeout. @defaultValue PQ_DEFAULT_JOB_TIMEOUT, else 600 s */
  defaultTimeout?: DurationInput
  /** Exception handlers ('module.fn'), called in order with (job, error); one returning false stops the chain. @defaultValue [] */
  exceptionHandlers?: readonly string[]
  /**
   * Where the worker logs its events (job started, OK, failed, retried, warnings): any object with
   * `debug/info/warn/error(fields, message)`, such as a pino logger or `console`. pq-worker's own
   * lines go through one. @defaultValue none: the worker only emits events
   */
  logger?: Logger
  /** Run every job in a thread killed at its timeout. @defaultValue false */
  isolate?: boolean
  /** Apply pending migrations at start (under the migrator's lock). @defaultValue true */
  migrate?: boolean
  /** Seconds between maintenance passes (TTL sweep, lost workers, stuck dependents). @defaultValue the lesser of 5 and half the heartbeat timeout */
  maintenanceInterval?: DurationInput
  /** Use LISTEN/NOTIFY; false polls only (PgBouncer in transaction mode). @defaultValue true */
  listen?: boolean
}

/** Options after validation and defaults, frozen. */
export interface ResolvedWorkerOptions {
  readonly queues: readonly string[]
  readonly connection: ConnectionOption | undefined
  readonly schema: string
  readonly concurrency: number
  readonly burst: boolean
  readonly name: string
  readonly path: string
  /** Where names resolve besides the tasks root: the task map and the task packages. */
  readonly lookup: Readonly<Required<ResolveOptions>>
  readonly workerTtl: number
  readonly fallbackPollInterval: number
  readonly heartbeatTimeout: number
  readonly defaultTimeout: number
  readonly exceptionHandlers: readonly string[]
  readonly isolate: boolean
  readonly migrate: boolean
  readonly maintenanceInterval: number
  readonly listen: boolean
}

let workersInProcess = 0

/** `host.pid`, as RQ names workers; a second Worker in the same process gets `host.pid.2`, and so on. */
function defaultName(): string {
  workersInProcess++
  return `${hostname()}.${process.pid}${workersInProcess > 1 ? `.${workersInProcess}` : ''}`
}

export const DEFAULT_WORKER_TTL = 420
/** A worker's heartbeat timeout is the registry's live window, so both sides agree on who is lost. */
export const DEFAULT_HEARTBEAT_TIMEOUT = DEFAULT_LIVE_SECONDS

/** Validates and defaults worker options once, before any I/O; `env` is the documented fallback. */
export function resolveWorkerOptions(
  input: WorkerOptions,
  env: { databaseUrl?: string; schema?: string; path?: string; workerTtl?: string; defaultJobTimeout?: string } = {},
): ResolvedWorkerOptions {
  const concurrency = input.concurrency ?? 1
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    throw new InvalidOption('concurrency', `invalid concurrency ${JSON.stringify(input.concurrency)}: use a whole number from 1 to 1000`)
  }
  const queues = [...new Set((input.queues ?? []).map((q) => queueName(q)))]
  const name = input.name ?? defaultName()
  if (typeof name !== 'string' || name.length === 0 || name.length > 200 || /[\u0000-\u001f]/.test(name)) {
    throw new InvalidOption('name', `invalid worker name ${JSON.stringify(name)}: use 1-200 printable characters`)
  }
  const heartbeatTimeout = toSeconds('heartbeatTimeout', input.heartbeatTimeout ?? DEFAULT_HEARTBEAT_TIMEOUT)
  // An isolated job runs in a thread that loads its task from a file; functions cannot cross into
  // it, so a map's tasks would fail there as unknown functions, one job at a time.
  if (input.isolate && Object.keys(input.tasks ?? {}).length > 0) {
    throw new InvalidOption(
      'tasks',
      'a tasks map cannot be used with isolate: isolated jobs load their task from files in a thread of their own; drop isolate, or put the tasks in modules under path (or in taskPackages)',
    )
  }
  return Object.freeze({
    queues,
    connection: input.connection ?? env.databaseUrl,
    schema: schemaName(input.schema ?? env.schema),
    concurrency,
    burst: input.burst ?? false,
    name,
    path: input.path ?? env.path ?? process.cwd(),
    lookup: Object.freeze({ tasks: taskMap(input.tasks), packages: Object.freeze([...(input.taskPackages ?? [])]) }),
    workerTtl: toSeconds('workerTtl', input.workerTtl ?? env.workerTtl ?? DEFAULT_WORKER_TTL),
    fallbackPollInterval: toSeconds('fallbackPollInterval', input.fallbackPollInterval ?? 1),
    heartbeatTimeout,
    defaultTimeout: toSeconds('defaultTimeout', input.defaultTimeout ?? env.defaultJobTimeout ?? DEFAULT_JOB_TIMEOUT, MAX_TIMEOUT_SECONDS),
    exceptionHandlers: (input.exceptionHandlers ?? []).map((h) => functionName(h, 'exceptionHandler')),
    isolate: input.isolate ?? false,
    migrate: input.migrate ?? true,
    // Lost workers are looked for at least twice per heartbeat timeout, so a short timeout recovers fast.
    maintenanceInterval: toSeconds('maintenanceInterval', input.maintenanceInterval ?? Math.min(5, heartbeatTimeout / 2)),
    listen: input.listen ?? true,
  })
}

/** A frozen copy of a task map, every name checked (RQ-style) and every value a function. */
function taskMap(tasks: TaskMap | undefined): TaskMap {
  const copy: Record<string, TaskMap[string]> = {}
  for (const [name, fn] of Object.entries(tasks ?? {})) {
    functionName(name, 'tasks')
    if (typeof fn !== 'function')
      throw new InvalidOption('tasks', `task "${name}" is a ${typeof fn}, not a function; map each name to its function`)
    copy[name] = fn
  }
  return Object.freeze(copy)
}
