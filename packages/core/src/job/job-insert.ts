// Inserting: the statements that enqueue jobs (one, many, or a flow's steps with their dependencies).
import { sql, type RawBuilder } from 'kysely'
import type { DateTime } from 'luxon'
import { compileOnce, runCompiled, runSql, slot, timestampOrNull, type QueryContext } from '../db/query-context.js'
import { PG_TYPE, pgTimestampToIso, typeParsers } from '../db/type-parsers.js'
import type { JobRow } from '../db/tables.js'
import type { JobEnqueueFields } from './job-data.js'
import { workChannel, queueWakePayload, dueWakePayload, wakeRunnableSql } from '../db/channels.js'
import { isPgError, UNIQUE_VIOLATION } from '../db/pg-errors.js'
import { DuplicateJobId } from '../errors.js'
import { queueEnsureFromArraysSql, queueEnsureSql } from '../queue/queue-queries.js'
import { jobExpiresAtSql, positionSequence } from './job-rule-queries.js'
import { jobFetchMany } from './job-read.js'
import { jobCancelDependents } from './job-operations.js'

/** One row for `jobInsertMany`, already validated and converted: the enqueue fields, and how they are sent. */
export interface JobInsertRow extends JobEnqueueFields {
  queue: string
  args: string // JSON text
  kwargs: string // JSON text
  meta: string // JSON text
  atFront: boolean
  retryMax: number
  retryIntervals: number[]
}

/**
 * The job columns an insert copies from its JobInsertRow, the one list: each statement's column
 * list and value arrays, and the row handed back to the caller, are built from it. The other
 * columns are decided by the statement (status, position, times) or take their defaults.
 */
const COPIED_COLUMNS = [
  ['id', 'id', 'text'],
  ['queue', 'queue', 'text'],
  ['func', 'func', 'text'],
  ['args', 'args', 'jsonb'],
  ['kwargs', 'kwargs', 'jsonb'],
  ['priority', 'priority', 'int'],
  ['description', 'description', 'text'],
  ['timeout', 'timeout', 'float8'],
  ['resultTtl', 'result_ttl', 'int'],
  ['failureTtl', 'failure_ttl', 'int'],
  ['ttl', 'ttl', 'int'],
  ['meta', 'meta', 'jsonb'],
  ['retryMax', 'retry_max', 'int'],
  ['onSuccess', 'on_success', 'text'],
  ['onFailure', 'on_failure', 'text'],
  ['allowDependencyFailure', 'allow_dependency_failure', 'boolean'],
  ['isolate', 'isolate', 'boolean'],
  ['flowId', 'flow_id', 'text'],
  ['scheduleId', 'schedule_id', 'text'],
] as const satisfies readonly (readonly [keyof JobInsertRow, keyof JobRow, string])[]

/** Insert-row fields that are not copied as they are: converted (retry intervals), or read by the statement. */
type DecidedFields = 'atFront' | 'retryIntervals' | 'scheduledFor' | 'dependsOn'
// Compile-time check that COPIED_COLUMNS names every other field of JobInsertRow.
const _allCopied: Record<Exclude<keyof JobInsertRow, DecidedFields>, true> = Object.fromEntries(
  COPIED_COLUMNS.map(([field]) => [field, true]),
) as Record<(typeof COPIED_COLUMNS)[number][0], true>
void _allCopied

/** The columns an insert decides, returned to complete the caller's row (nothing the caller sent comes back). */
const DECIDED_COLUMNS = [
  'status',
  'position',
  'created_at',
  'enqueued_at',
  'scheduled_for',
  'discard_at',
  'exc_info',
  'ended_at',
  'expires_at',
  'has_dependents',
] as const
type DecidedRow = Pick<JobRow, (typeof DECIDED_COLUMNS)[number]>

const copiedColumnList = sql.join(COPIED_COLUMNS.map(([, column]) => sql.ref(column)))
const decidedColumnList = sql.join(DECIDED_COLUMNS.map((column) => sql.ref(column)))

/** The columns no insert writes, as a new row has them. */
const UNWRITTEN_COLUMNS = {
  result: null,
  attempts: 0,
  began: false,
  crashes: 0,
  confirm_start: false,
  worker: null,
  started_at: null,
  attempt_log: null,
} as const satisfies Partial<JobRow>

type InsertedColumn =
  (typeof COPIED_COLUMNS)[number][1] | (typeof DECIDED_COLUMNS)[number] | keyof typeof UNWRITTEN_COLUMNS | 'retry_intervals'
// Compile-time check that insertedRow fills every job column: a new one must be copied, decided or listed
// unwritten, and the error names it ("Property 'x' is missing in type '{}'").
const _rowComplete: Record<Exclude<keyof JobRow, InsertedColumn>, never> = {}
void _rowComplete

/**
 * The full row of a job just inserted: what the caller sent, with what the statement decided. An
 * object literal, as JobRow types it (so the compiler names a column left out): built column by
 * column from COPIED_COLUMNS it took 4 us a row against 1.5 us, and 50 us when those keys were
 * added after spreading the others (V8 turned each row into a dictionary).
 */
function insertedRow(x: JobInsertRow, d: DecidedRow): JobRow {
  return {
    id: x.id,
    queue: x.queue,
    func: x.func,
    args: JSON.parse(x.args) as JobRow['args'],
    kwargs: JSON.parse(x.kwargs) as JobRow['kwargs'],
    priority: x.priority,
    description: x.description,
    timeout: x.timeout,
    result_ttl: x.resultTtl,
    failure_ttl: x.failureTtl,
    ttl: x.ttl,
    meta: JSON.parse(x.meta) as JobRow['meta'],
    retry_max: x.retryMax,
    on_success: x.onSuccess,
    on_failure: x.onFailure,
    allow_dependency_failure: x.allowDependencyFailure,
    isolate: x.isolate,
    flow_id: x.flowId,
    schedule_id: x.scheduleId,
    ...UNWRITTEN_COLUMNS,
    retry_intervals: x.retryIntervals,
    ...d,
  }
}

/** Parameters of `jobInsertMany`. */
export interface JobInsertManyParams {
  rows: JobInsertRow[]
  /** Queues to create if missing, with their serial flag (true upgrades an existing queue). */
  queues: { name: string; serial: boolean }[]
  /** A flow row to write in the same statement (a Flow's steps and its record exist together or not at all). */
  flow?: FlowInsert | null
  now?: DateTime | null
}

/** The `flow` row a Flow writes with its steps. */
export interface FlowInsert {
  id: string
  name: string | null
  queue: string
  /** Every step's id, in order; the last one is the flow's final job (its TTL is the flow's). */
  jobIds: string[]
}

/**
 * Inserts jobs, their dependency edges and any missing queue rows, and notifies the queues that got
 * runnable jobs: one statement, so a single enqueue is one round trip. Run inside the caller's
 * transaction, the NOTIFY is delivered at commit and dropped on rollback.
 *
 * A job with dependencies is `deferred` unless every dependency has finished. The `dep` CTE updates
 * each dependency's `has_dependents` flag: that takes its row lock and returns its latest committed
 * status, so a completion running at the same moment either commits first (we see `finished`) or
 * waits for us and then sees the flag and releases this job itself. Dependencies inside the same
 * batch (a flow's steps) are new, so never finished; the update cannot see them (every CTE reads the
 * statement's snapshot), so the insert sets their `has_dependents` itself.
 *
 * A deferred job keeps its `scheduled_for`: released later, it becomes `scheduled` when that time is
 * still ahead (a flow's `f.enqueueAt(at, ...)` step), else `queued`. With `flow`, the flow row goes in
 * the same statement, so a flow and its steps exist together or not at all, in one round trip.
 */
export async function jobInsertMany(q: QueryContext, p: JobInsertManyParams): Promise<JobRow[]> {
  if (p.rows.length === 0) return []
  const r = p.rows
  const withDependencies = r.some((row) => row.dependsOn.length > 0)
  try {
    if (!p.flow && !withDependencies) {
      if (r.length === 1) return [await jobInsertOne(q, { row: r[0]!, queues: p.queues, now: p.now ?? null })]
      return await jobInsertPlain(q, { rows: r, queues: p.queues, now: p.now ?? null })
    }
    return await jobInsertWithDependencies(q, p)
  } catch (err) {
    if (isPgError(err, UNIQUE_VIOLATION) && (err as { constraint?: string }).constraint === 'job_pkey') {
      const detail = /\(id\)=\((.*)\)/.exec((err as { detail?: string }).detail ?? '')
      throw new DuplicateJobId(detail?.[1] ?? (r.length === 1 ? r[0]!.id : '?'), { cause: err })
    }
    throw err
  }
}

/** `unnest(...)` of the copied columns of `rows`, one typed array each, named as the columns. */
function copiedArrays(rows: readonly JobInsertRow[]) {
  return sql.join(COPIED_COLUMNS.map(([field, , type]) => sql`${rows.map((x) => x[field])}::${sql.raw(type)}[]`))
}

/** Postgres array text of whole numbers: `{10,60}` (unnest cannot take an array of arrays of uneven length). */
const intArrayText = (xs: readonly number[]) => `{${xs.join(',')}}`

/** `position` for a new job: from the sequence, negated for atFront (most recent atFront first). */
const newPositionSql = (q: QueryContext, atFront: RawBuilder<unknown>) =>
  sql`case when ${atFront} then -nextval(${positionSequence(q)}::regclass) else nextval(${positionSequence(q)}::regclass) end`

/**
 * Many jobs without dependencies (a bulk enqueue): arrays in, the decided columns out, in one
 * statement with none of the dependency CTEs. Notifies each queue that got runnable jobs once.
 */
async function jobInsertPlain(
  q: QueryContext,
  p: { rows: JobInsertRow[]; queues: { name: string; serial: boolean }[]; now: DateTime | null },
): Promise<JobRow[]> {
  const r = p.rows
  // The input's columns, each sent as one parameter when every row has the same value (most
  // options, in a bulk enqueue), else as an array to unnest: fewer values to encode and decode.
  const inputs: { name: string; type: string; values: unknown[] }[] = [
    ...COPIED_COLUMNS.map(([field, column, type]) => ({ name: column, type, values: r.map((x) => x[field]) })),
    { name: 'at_front', type: 'boolean', values: r.map((x) => x.atFront) },
    { name: 'retry_intervals', type: 'text', values: r.map((x) => intArrayText(x.retryIntervals)) },
    { name: 'scheduled_for', type: 'timestamptz', values: r.map((x) => timestampOrNull(x.scheduledFor)) },
  ]
  const same = (values: unknown[]) =>
    values.every((v) => v === values[0] || (v instanceof Date && values[0] instanceof Date && v.getTime() === values[0].getTime()))
  const uniform = inputs.filter((c) => same(c.values))
  const varying = inputs.filter((c) => !uniform.includes(c))
  const unnested = varying.length
    ? sql`unnest(${sql.join(varying.map((c) => sql`${c.values}::${sql.raw(c.type)}[]`))}) with ordinality as t(${sql.join(varying.map((c) => sql.ref(c.name)))}, ord)`
    : sql`generate_series(1, ${r.length}::int) as t(ord)`
  const scalars = uniform.map((c) => sql`, ${c.values[0]}::${sql.raw(c.type)} as ${sql.ref(c.name)}`)
  const rows = await runSql(
    q,
    sql<PlainInsertedRow>`
    with new_queue as (${queueEnsureSql(q, p.queues)}),
    n as (select coalesce(${timestampOrNull(p.now)}::timestamptz, now()) as now),
    input as (
      select t.*${sql.join(scalars, sql``)} from ${unnested}
    ),
    ins as (
      insert into ${sql.id(q.schema, 'job')} (${copiedColumnList}, retry_intervals, status, position, created_at, enqueued_at, scheduled_for, discard_at)
      select ${copiedColumnList}, retry_intervals::int[],
        case when scheduled_for > n.now then 'scheduled' else 'queued' end,
        ${newPositionSql(q, sql`at_front`)}, n.now,
        case when scheduled_for > n.now then null else n.now end,
        case when scheduled_for > n.now then scheduled_for end,
        case when ttl is not null then n.now + ttl * interval '1 second' end
      from input, n
      order by ord
      returning status, position, scheduled_for, discard_at, queue
    ),
    notified as (
      ${wakeRunnableSql(q.schema, 'ins')}
    )
    select null::text as status, null::bigint as position, null::timestamptz as scheduled_for, null::timestamptz as discard_at,
      now as created_at, (select count(*) from notified) as notified
    from n
    union all
    select status, position, scheduled_for, discard_at, null, null from ins`,
  )
  // The insert time comes once, in the row without a status; every job's row has its created_at,
  // and enqueued_at when queued. The columns this insert leaves to their defaults are not read back:
  // 1,000 rows of six fewer columns (two of them timestamps to parse) save 3 us a job in pg.
  const now = rows.find((row) => row.status === null)!.created_at
  const at = (): Date => (now instanceof Date ? new Date(now.getTime()) : now)
  const decided = rows.filter((row) => row.status !== null)
  // RETURNING gives the rows in insert order, which is the input's (order by ord).
  return r.map((row, i) => {
    const d = decided[i]!
    return insertedRow(row, {
      status: d.status!,
      position: d.position!,
      created_at: at(),
      enqueued_at: d.status === 'queued' ? at() : null,
      scheduled_for: d.scheduled_for,
      discard_at: d.discard_at,
      exc_info: null,
      ended_at: null,
      expires_at: null,
      has_dependents: false,
    })
  })
}

/** A row of jobInsertPlain's statement: one per job, and one (status null) holding the insert time. */
interface PlainInsertedRow {
  status: DecidedRow['status'] | null
  position: DecidedRow['position'] | null
  scheduled_for: Date | null
  discard_at: Date | null
  created_at: Date
}

/**
 * Jobs with dependencies, or a flow's steps: the general statement (see jobInsertMany). Returns the
 * full rows, with each job's dependencies.
 */
async function jobInsertWithDependencies(q: QueryContext, p: JobInsertManyParams): Promise<JobRow[]> {
  const job = sql.id(q.schema, 'job')
  const dependency = sql.id(q.schema, 'job_dependency')
  const r = p.rows
  const allDeps = [...new Set(r.flatMap((row) => row.dependsOn))]
  const batchIds = r.map((row) => row.id)
  const inBatch = new Set(batchIds)
  const dependedOnInBatch = allDeps.filter((id) => inBatch.has(id))
  const decidedRows = await runSql(
    q,
    sql<DecidedRow & { id: string }>`
    with input as (
      select * from unnest(${copiedArrays(r)}, ${r.map((x) => x.atFront)}::boolean[],
        ${r.map((x) => intArrayText(x.retryIntervals))}::text[], ${r.map((x) => timestampOrNull(x.scheduledFor))}::timestamptz[],
        ${r.map((x) => JSON.stringify(x.dependsOn))}::jsonb[])
        with ordinality as t(${copiedColumnList}, at_front, retry_intervals, scheduled_for, depends_on, ord)
    ),
    new_queue as (${queueEnsureSql(q, p.queues)}),
    dep as (
      update ${job} set has_dependents = true
      where id = any(${allDeps}::text[]) and cardinality(${allDeps}::text[]) > 0
      returning id, status
    ),
    now_ as (select coalesce(${timestampOrNull(p.now ?? null)}::timestamptz, now()) as now),${
      p.flow
        ? sql`
    new_flow as (
      insert into ${sql.id(q.schema, 'flow')} (id, name, queue, job_ids, created_at)
      select ${p.flow.id}, ${p.flow.name}, ${p.flow.queue}, ${p.flow.jobIds}::text[], now from now_
    ),`
        : sql``
    }
    -- MATERIALIZED: inlined, the status CASE (with its dependency subqueries) ran once per column
    -- that reads it, six times a row; computed once, a 1,000-job insert takes a third less time.
    decided as materialized (
      select i.*, case
        when exists (select 1 from jsonb_array_elements_text(i.depends_on) d(id) join dep on dep.id = d.id
                     where dep.status in ('canceled', 'stopped')) then 'canceled'
        when exists (select 1 from jsonb_array_elements_text(i.depends_on) d(id)
                     where d.id = any(${batchIds}::text[])
                        or exists (select 1 from dep where dep.id = d.id and dep.status <> 'finished'
                                   and not (i.allow_dependency_failure and dep.status = 'failed'))) then 'deferred'
        when i.scheduled_for is not null and i.scheduled_for > (select now from now_) then 'scheduled'
        else 'queued' end as status
      from input i
    ),
    ins as (
      insert into ${job} (${copiedColumnList}, retry_intervals, status, position, created_at, enqueued_at,
        scheduled_for, discard_at, exc_info, ended_at, expires_at, has_dependents)
      select ${copiedColumnList}, retry_intervals::int[], status, ${newPositionSql(q, sql`at_front`)}, n.now,
        case when status = 'queued' then n.now end,
        case when status in ('scheduled', 'deferred') then scheduled_for end,
        case when ttl is not null then n.now + ttl * interval '1 second' end,
        case when status = 'canceled' then 'canceled: a dependency was canceled' end,
        case when status = 'canceled' then n.now end,
        ${jobExpiresAtSql(sql`status`, sql`n.now`, sql`result_ttl`, sql`failure_ttl`)},
        id = any(${dependedOnInBatch}::text[])
      from decided, now_ n
      order by ord
      returning id, queue, ${decidedColumnList}
    ),
    edges as (
      insert into ${dependency} (job_id, depends_on)
      select i.id, d.id from input i, jsonb_array_elements_text(i.depends_on) d(id)
      on conflict do nothing
    ),
    notified as (
      ${wakeRunnableSql(q.schema, 'ins')}
    )
    select id, ${decidedColumnList}, (select count(*) from notified) as notified from ins`,
  )
  const byId = new Map(decidedRows.map(({ id, ...d }) => [id, d]))
  const result = r.map((row) => Object.assign(insertedRow(row, byId.get(row.id)!), { depends_on: row.dependsOn }))
  // A job canceled at insert (its dependency was canceled) leaves batch-mates that wait on it
  // deferred: cancel them too. Rare, so a second statement rather than a recursive CTE in the first.
  const canceled = result.filter((row) => row.status === 'canceled' && inBatch.has(row.id)).map((row) => row.id)
  if (canceled.length && dependedOnInBatch.length) {
    const also = new Set(await jobCancelDependents(q, { ids: canceled, reason: 'a dependency was canceled', now: p.now ?? null }))
    if (also.size)
      return jobFetchMany(q, { ids: batchIds }).then((fresh) => {
        const byFresh = new Map(fresh.map((row) => [row.id, row]))
        return r.map((row) => byFresh.get(row.id)!)
      })
  }
  return result
}

/**
 * The common enqueue, one job without dependencies, as a lean statement with scalar parameters:
 * the general one (arrays, dependency and flow CTEs) took about 1.5 ms a call here against 0.4 ms
 * for this one. Same effects: the queue row if missing, the job, and its notification, in one round
 * trip; only the columns the statement decides come back. Its text depends only on the schema and
 * whether a queue is serial, so it is compiled once for each (compileOnce).
 */
async function jobInsertOne(
  q: QueryContext,
  p: { row: JobInsertRow; queues: { name: string; serial: boolean }[]; now: DateTime | null },
): Promise<JobRow> {
  const x = p.row
  const anySerial = p.queues.some((queue) => queue.serial)
  const statement = compileOnce(q, `jobInsertOne\0${q.schema}\0${anySerial}`, () => insertOneSql(q, anySerial))
  const values: Record<string, unknown> = {
    queueNames: p.queues.map((queue) => queue.name),
    queueSerials: p.queues.map((queue) => queue.serial),
    now: timestampOrNull(p.now),
    scheduledFor: timestampOrNull(x.scheduledFor),
    retryIntervals: x.retryIntervals,
    atFront: x.atFront,
  }
  for (const [field] of COPIED_COLUMNS) values[field] = x[field]
  const [d] = await runCompiled(q, statement, values, INSERT_ONE_TYPES)
  // The columns this insert leaves to their defaults are not read back (see insertOneSql).
  return insertedRow(x, {
    status: d!.status,
    position: d!.position,
    created_at: d!.created_at,
    enqueued_at: d!.status === 'queued' ? d!.created_at : null,
    scheduled_for: d!.scheduled_for,
    discard_at: d!.discard_at,
    exc_info: null,
    ended_at: null,
    expires_at: null,
    has_dependents: false,
  })
}

/** What jobInsertOne's statement returns: what it decided, and the insert time once. */
type InsertedOneRow = Pick<JobRow, 'status' | 'position' | 'created_at' | 'scheduled_for' | 'discard_at'>

/**
 * jobInsertOne's type parsers: a timestamptz becomes a Date through the native ISO parser, where
 * pg-types' own parser cost tens of microseconds on a cold call; int8 stays a string, as pg gives it.
 * Through Kysely (no named statements) pg's defaults give the same types.
 */
const INSERT_ONE_TYPES = typeParsers(new Map([[PG_TYPE.timestamptz, (text: string) => new Date(pgTimestampToIso(text))]]))

/**
 * jobInsertOne's statement, its values as slots named after the JobInsertRow fields. The insert is
 * the statement itself and notifies in its RETURNING: as CTEs (the insert, a pg_notify CTE, a count
 * over it to make that run) it cost the server about 30 us more a job. It returns what it decided
 * and the insert time once (enqueued_at is the same instant when queued); the other columns keep
 * their defaults. Parsing the ten decided columns, four timestamps among them, took about 0.13 ms
 * of a cold single enqueue's 1.7 ms.
 */
function insertOneSql(q: QueryContext, anySerial: boolean) {
  const values = sql.join(COPIED_COLUMNS.map(([field, , type]) => sql`${slot(field)}::${sql.raw(type)}`))
  return sql<InsertedOneRow>`
    with new_queue as (${queueEnsureFromArraysSql(q, slot('queueNames'), slot('queueSerials'), anySerial)})
    insert into ${sql.id(q.schema, 'job')} (${copiedColumnList}, retry_intervals, status, position, created_at, enqueued_at, scheduled_for, discard_at)
    select ${values}, ${slot('retryIntervals')}::int[],
      case when v.scheduled_for > v.now then 'scheduled' else 'queued' end,
      ${newPositionSql(q, sql`${slot('atFront')}::boolean`)}, v.now,
      case when v.scheduled_for > v.now then null else v.now end,
      case when v.scheduled_for > v.now then v.scheduled_for end,
      case when ${slot('ttl')}::int is not null then v.now + ${slot('ttl')}::int * interval '1 second' end
    from (select coalesce(${slot('now')}::timestamptz, now()) as now, ${slot('scheduledFor')}::timestamptz as scheduled_for) v
    returning status, position, created_at, scheduled_for, discard_at, pg_notify(${workChannel(q.schema)}, case when status = 'queued'
      then ${queueWakePayload} else ${dueWakePayload(sql`scheduled_for`)} end) as notified`
}
