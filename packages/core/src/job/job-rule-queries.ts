/**
 * The job rules that SQL in several statements must agree on, each written once: which statuses
 * wait and which have ended, and when an ended job's row expires. Statements splice these fragments
 * in; the texts are constant, so prepared statements keep one name each.
 */
import { sql, type RawBuilder } from 'kysely'
import { ATTEMPT_HISTORY_SIZE, ENDED_STATUSES, WAITING_STATUSES, type JobStatus } from './job-data.js'

/** `'a', 'b'` for `status in (...)`: a constant list, inlined as literals. */
export const statusListSql = (statuses: readonly JobStatus[]): RawBuilder<unknown> => sql.join(statuses.map((s) => sql.lit(s)))

/** `(<expr> in ('queued', 'deferred', 'scheduled'))`: the job still waits to run. */
export const isWaitingSql = (status: RawBuilder<unknown>): RawBuilder<boolean> =>
  sql<boolean>`(${status} in (${statusListSql(WAITING_STATUSES)}))`

/** Ended but not finished: the states whose row keeps for `failure_ttl`. */
const ENDED_UNFINISHED = ENDED_STATUSES.filter((s) => s !== 'finished')

/**
 * pq's expiry rule, the one definition: a row kept `ttl` seconds after `ended` expires at
 * `ended + ttl`; `-1` keeps it forever (null); `0` expires it at `ended` (the next sweep deletes it).
 */
export const ttlExpirySql = (ended: RawBuilder<unknown>, ttl: RawBuilder<unknown>): RawBuilder<Date | null> =>
  sql<Date | null>`(case when ${ttl} < 0 then null else ${ended} + ${ttl} * interval '1 second' end)`

/**
 * When a job in `status` that ended at `ended` expires: finished jobs by their result TTL, other
 * ended ones (failed, stopped, canceled) by their failure TTL, and never (null) while it may run.
 */
export const jobExpiresAtSql = (
  status: RawBuilder<unknown>,
  ended: RawBuilder<unknown>,
  resultTtl: RawBuilder<unknown>,
  failureTtl: RawBuilder<unknown>,
): RawBuilder<Date | null> => sql<Date | null>`(case
    when ${status} = 'finished' then ${ttlExpirySql(ended, resultTtl)}
    when ${status} in (${statusListSql(ENDED_UNFINISHED)}) then ${ttlExpirySql(ended, failureTtl)}
  end)`

/** The sequence that orders waiting jobs (`position`): a new value puts a job at the back of its queue. */
export const positionSequence = (q: { schema: string }): RawBuilder<unknown> => sql.lit(`${q.schema}.job_position_seq`)

/**
 * SQL appending one entry to a job's attempt_log, keeping the last ATTEMPT_HISTORY_SIZE (10): entries
 * are appended one at a time, so dropping the first one when the log is full keeps it bounded.
 */
export const attemptLogAppend = (log: RawBuilder<unknown>, entry: RawBuilder<unknown>): RawBuilder<unknown> => sql`
  (case when jsonb_array_length(coalesce(${log}, '[]')) >= ${sql.lit(ATTEMPT_HISTORY_SIZE)}
    then coalesce(${log}, '[]') - 0 else coalesce(${log}, '[]') end) || jsonb_build_array(${entry})`

/**
 * `select ... as ids`: the ids of the rows of CTE `relation` matching `filter` that someone waits
 * for (listed in job_waiter by waitForResult), comma-separated, or null when nobody waits: the
 * payload of a done notification. Read by job_waited_ids (migration 0007) with a fresh snapshot,
 * after the statement locked the rows.
 */
export const endedWaitedSql = (
  q: { schema: string },
  relation: string,
  filter: RawBuilder<unknown>,
): RawBuilder<{ ids: string | null }> => sql`
  select ${sql.id(q.schema, 'job_waited_ids')}(array_agg(t.id)) as ids from ${sql.id(relation)} t where ${filter}`
