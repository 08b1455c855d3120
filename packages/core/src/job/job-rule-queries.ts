/**
 * The job rules that SQL in several statements must agree on, each written once: which statuses
 * wait and which have ended, and when an ended job's row expires. Statements splice these fragments
 * in; the texts are constant, so prepared statements keep one name each.
 */
import { sql, type RawBuilder } from 'kysely'
import { ENDED_STATUSES, WAITING_STATUSES, type JobStatus } from './job.js'

/** `'a', 'b'` for `status in (...)`: a constant list, inlined as literals. */
export const statusListSql = (statuses: readonly JobStatus[]): RawBuilder<unknown> => sql.join(statuses.map((s) => sql.lit(s)))

/** `(<expr> in ('queued', 'deferred', 'scheduled'))`: the job still waits to run. */
export const isWaitingSql = (status: RawBuilder<unknown>): RawBuilder<boolean> => sql<boolean>`(${status} in (${statusListSql(WAITING_STATUSES)}))`

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
  status: RawBuilder<unknown>, ended: RawBuilder<unknown>, resultTtl: RawBuilder<unknown>, failureTtl: RawBuilder<unknown>,
): RawBuilder<Date | null> => sql<Date | null>`(case
    when ${status} = 'finished' then ${ttlExpirySql(ended, resultTtl)}
    when ${status} in (${statusListSql(ENDED_UNFINISHED)}) then ${ttlExpirySql(ended, failureTtl)}
  end)`
