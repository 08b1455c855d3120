/**
 * The conversation between pq-bench and its worker processes, over the IPC channel `fork` opens.
 *
 * parent → child: `start` (begin consuming), `stop` (stop, write the ids file, exit).
 * child → parent: `ready` (connected, not consuming), `running` (consuming), `progress` (every
 * PROGRESS_INTERVAL_MS while counts change), `job` (per job, in per-job mode), `stopped`, `error`.
 */

/** How often a worker process reports its counts, unless it reports every job. */
export const PROGRESS_INTERVAL_MS = 50

/** What a pq worker process needs. */
export interface PqChildConfig {
  readonly backend: 'pq'
  readonly databaseUrl: string
  readonly schema: string
  readonly queue: string
  /** Tasks root: the folder holding noop.ts. */
  readonly tasksPath: string
}

/** What a BullMQ worker process needs. */
export interface RedisChildConfig {
  readonly backend: 'redis'
  readonly redisUrl: string
  readonly prefix: string
  readonly queue: string
  /** Seconds completed jobs are kept (BullMQ's removeOnComplete age), mirroring pq's result TTL. */
  readonly keepCompletedSeconds: number
}

/** What a graphile-worker process needs (its schema is migrated by the parent). */
export interface GraphileChildConfig {
  readonly backend: 'graphile'
  readonly databaseUrl: string
  readonly schema: string
}

/** What a process of the minimal SQL claim loop (the ceiling) needs. */
export interface LimitChildConfig {
  readonly backend: 'limit'
  readonly databaseUrl: string
  readonly schema: string
}

/** argv[2] of a worker process, as JSON. */
export type ChildConfig = (PqChildConfig | RedisChildConfig | GraphileChildConfig | LimitChildConfig) & {
  readonly index: number
  readonly concurrency: number
  /** Where the process writes the ids of the jobs it ran, one a line, when told to stop. */
  readonly idsFile: string
  /** Report each job as it starts and ends (latency runs) instead of every PROGRESS_INTERVAL_MS. */
  readonly reportEachJob: boolean
}

/** What the task is given: the same payload for both backends. */
export interface TaskPayload {
  /** Milliseconds to sleep (the slow-task case); 0 returns at once. */
  readonly sleepMs: number
  /** The producer's sequence number, in latency runs, to match the start to its enqueue. */
  readonly seq?: number
}

export type ParentMessage = { readonly type: 'start' } | { readonly type: 'stop' }

/** Counts since the process started consuming; instants are clockMs() stamps. */
export interface ProgressMessage {
  readonly type: 'progress'
  readonly finished: number
  readonly failed: number
  readonly firstStartedAt: number | null
  readonly lastFinishedAt: number | null
}

export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'running' }
  | ProgressMessage
  | { readonly type: 'job'; readonly event: 'started' | 'finished'; readonly seq: number | null; readonly at: number }
  | { readonly type: 'stopped'; readonly ran: number }
  | { readonly type: 'error'; readonly message: string }
