import { DateTime } from 'luxon'
import { queryContext, type QueryContext } from '../db/query-context.js'
import { inTransaction } from '../db/transaction.js'
import { SchemaNotMigrated } from '../errors.js'
import { schemaVersion } from '../migrate/migrator.js'
import type { WorkerRow } from '../db/tables.js'
import { ENDED_STATUSES, type JobStatus } from '../job/job-data.js'
import { workerList, DEFAULT_LIVE_SECONDS } from '../worker-registry/worker-queries.js'
import { statsQueueCounts, statsOldestQueued, statsCountEstimates, statsJitOff, type StatsEstimateRow } from './stats-queries.js'
import { queuePausedList } from '../queue/queue-queries.js'

/** The per-status columns of a queue listing (pq-stats, the dashboard), titled as RQ's tools title them. */
export const QUEUE_STATS_COLUMNS: readonly (readonly [title: string, status: JobStatus])[] = [
  ['Queued', 'queued'],
  ['Active', 'started'],
  ['Deferred', 'deferred'],
  ['Scheduled', 'scheduled'],
  ['Finished', 'finished'],
  ['Failed', 'failed'],
]

/** States whose counts stay small (waiting or running): always counted exactly. */
export const LIVE_STATUSES = ['queued', 'started', 'deferred', 'scheduled'] as const satisfies readonly JobStatus[]
/** States that accumulate history: exact up to a cap, estimated above it (see `CountMode`). */
export const HISTORY_STATUSES = ENDED_STATUSES

/**
 * How finished/failed/stopped/canceled are counted. `auto`: exactly up to `cap` rows per queue and
 * status, the planner's estimate above it. `exact`: always exactly (slow on millions of rows).
 * `estimate`: the estimate wherever the statistics have one, without counting.
 */
export type CountMode = 'auto' | 'exact' | 'estimate'

/** Where `auto` stops counting: 20,000 index entries cost a few milliseconds. */
export const DEFAULT_COUNT_CAP = 20_000

/** One queue's figures. */
export interface QueueStats {
  name: string
  counts: Record<JobStatus, number>
  /** Statuses whose figure is an estimate, not a count. */
  estimated: JobStatus[]
  /** Live workers serving the queue (listing it, or serving every queue). */
  workers: number
  /** Creation time of its oldest queued job. */
  oldestQueuedAt: DateTime | null
  /** When the queue was paused (workers claim nothing from it); null while it runs. */
  pausedAt: DateTime | null
}

/** Options of `collectQueueStats`. */
export interface CollectQueueStatsOptions {
  /** One queue, or every queue. @defaultValue null */
  queue?: string | null
  /** @defaultValue 'auto' */
  mode?: CountMode
  /** @defaultValue DEFAULT_COUNT_CAP */
  cap?: number
  /** @defaultValue DEFAULT_LIVE_SECONDS */
  liveSeconds?: number
}

/** True when a worker serves `queue`: it lists it, or it serves every queue (empty list). */
export function servesQueue(row: Pick<WorkerRow, 'queues'>, queue: string): boolean {
  return row.queues.length === 0 || row.queues.includes(queue)
}

/**
 * Gathers pq-stats' figures: counts per queue and status (see `CountMode` for which are exact), live
 * workers per queue, and each queue's oldest waiting job. @internal
 */
export async function collectQueueStats(q: QueryContext, options: CollectQueueStatsOptions = {}): Promise<QueueStats[]> {
  // A transaction of our own, only so that JIT can be turned off for it (see statsJitOff). On a
  // caller's client or Kysely the connection is theirs: no BEGIN there, the statements run as they are.
  if (!q.pool) return collectInTransaction(q, options)
  const pool = q.pool
  try {
    return await inTransaction(pool, async (client) => {
      const ctx = queryContext(client, q.schema)
      await statsJitOff(ctx)
      return collectInTransaction(ctx, options)
    })
  } catch (err) {
    // Inside the transaction the migration version could not be read (the client's context has no
    // pool): read it now, so the message says "has no pq tables" or which migration it is at.
    if (!(err instanceof SchemaNotMigrated) || err.databaseVersion !== null) throw err
    const version = await schemaVersion(pool, q.schema).catch(() => null)
    throw new SchemaNotMigrated(err.schema, version, err.codeVersion, { cause: err.cause })
  }
}

async function collectInTransaction(q: QueryContext, options: CollectQueueStatsOptions): Promise<QueueStats[]> {
  const queue = options.queue ?? null
  const mode = options.mode ?? 'auto'
  const cap = options.cap ?? DEFAULT_COUNT_CAP
  const workers = await workerList(q, { liveSeconds: options.liveSeconds ?? DEFAULT_LIVE_SECONDS })
  const oldest = await statsOldestQueued(q, { queue })
  const paused = await queuePausedList(q)
  const estimates = mode === 'exact' ? [] : await statsCountEstimates(q)
  const estimate = (name: string, status: string) => estimates.find((e: StatsEstimateRow) => e.queue === name && e.status === status)
  const history =
    mode === 'estimate'
      ? HISTORY_STATUSES.filter((s) => !estimates.some((e) => e.status === s)) // no statistic at all: count them
      : [...HISTORY_STATUSES]
  const rows = await statsQueueCounts(q, { queue, exact: LIVE_STATUSES, capped: history, cap: mode === 'exact' ? null : cap })
  const byQueue = new Map<string, QueueStats>()
  const entry = (name: string): QueueStats => {
    let s = byQueue.get(name)
    if (!s) {
      const live = workers.filter((w) => w.live && servesQueue(w, name)).length
      const counts = Object.fromEntries([...LIVE_STATUSES, ...HISTORY_STATUSES].map((x) => [x, 0])) as Record<JobStatus, number>
      const at = oldest.get(name)
      const pausedAt = paused.get(name)
      s = {
        name,
        counts,
        estimated: [],
        workers: live,
        oldestQueuedAt: at ? DateTime.fromJSDate(at).toUTC() : null,
        pausedAt: pausedAt ? DateTime.fromJSDate(pausedAt).toUTC() : null,
      }
      byQueue.set(name, s)
    }
    return s
  }
  const recount: { name: string; status: JobStatus }[] = []
  for (const r of rows) {
    const s = entry(r.queue)
    s.counts[r.status] = r.n
    if (!r.capped) continue
    const e = estimate(r.queue, r.status)
    // Above the cap the estimate can still lag behind (stale statistics): never show less than we counted.
    if (e) markEstimated(s, r.status, Math.max(e.n, r.n))
    else recount.push({ name: r.queue, status: r.status })
  }
  if (mode === 'estimate') {
    for (const s of byQueue.values()) {
      for (const status of HISTORY_STATUSES) {
        if (history.includes(status)) continue
        markEstimated(s, status, estimate(s.name, status)?.n ?? 0)
      }
    }
  }
  // Capped with no statistic yet (never analyzed): count those pairs in full rather than guess.
  for (const { name, status } of recount) {
    const [row] = await statsQueueCounts(q, { queue: name, exact: [status], capped: [], cap: null })
    if (row) entry(name).counts[status] = row.n
  }
  return [...byQueue.values()].sort((a, b) => a.name.localeCompare(b.name))
}

function markEstimated(s: QueueStats, status: JobStatus, n: number): void {
  s.counts[status] = n
  if (!s.estimated.includes(status)) s.estimated.push(status)
}

/** One queue in rqstats' JSON shape, with pq's extra fields after RQ's. */
export interface RqQueueStats {
  name: string
  jobs: number
  oldest_job_timestamp: string
  index: number
  workers: number
  finished_jobs: number
  started_jobs: number
  deferred_jobs: number
  failed_jobs: number
  scheduled_jobs: number
  stopped_jobs: number
  canceled_jobs: number
  /** Which of the *_jobs figures are estimates (empty: all exact). */
  estimated: string[]
  /** Whether workers are kept from claiming this queue's jobs (pq-admin pause). */
  paused: boolean
  /** Since when, ISO 8601; null while it runs. */
  paused_at: string | null
}

/** Maps figures to rqstats' `--json` shape: `{ queues: [{ name, jobs, oldest_job_timestamp, index, … }] }`. */
export function toRqStats(stats: readonly QueueStats[]): { queues: RqQueueStats[] } {
  return {
    queues: stats.map((s, index) => ({
      name: s.name,
      jobs: s.counts.queued,
      oldest_job_timestamp: s.oldestQueuedAt?.toISO() ?? '-',
      index,
      workers: s.workers,
      finished_jobs: s.counts.finished,
      started_jobs: s.counts.started,
      deferred_jobs: s.counts.deferred,
      failed_jobs: s.counts.failed,
      scheduled_jobs: s.counts.scheduled,
      stopped_jobs: s.counts.stopped,
      canceled_jobs: s.counts.canceled,
      estimated: s.estimated.map((x) => `${x}_jobs`),
      paused: s.pausedAt !== null,
      paused_at: s.pausedAt?.toISO() ?? null,
    })),
  }
}
