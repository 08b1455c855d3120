// Decoding a claim's rows: the job's columns as they come off the wire, into the row a worker runs.
import type { JobRow, JobRowJson } from '../db/tables.js'
import { PG_TYPE, pgTimestampToIso, typeParsers } from '../db/type-parsers.js'

/**
 * A claimed row: the job's columns with timestamps as ISO strings and `position` a number;
 * `serial_claim` says it holds its serial queue's lock until its outcome is recorded.
 */
export type ClaimedJobRow = JobRowJson & { serial_claim?: boolean }

const asBool = (text: string): boolean => text === 't'
const asJson = (text: string): unknown => JSON.parse(text)
const asIntArray = (text: string): number[] => (text === '{}' ? [] : text.slice(1, -1).split(',').map(Number))

/**
 * The claim's type parsers: every column of a job row decoded straight into ClaimedJobRow's shape,
 * timestamps kept as ISO strings that Job parses only when read. Returning the columns costs the
 * server about 3.5 us a row where `row_to_json(j.*)` cost 11.5 us (it looks up each column's output
 * rules again for every row), and these parsers cost the worker no more than the one JSON.parse did.
 */
export const CLAIM_ROW_TYPES = typeParsers(
  new Map<number, (text: string) => unknown>([
    [PG_TYPE.bool, asBool],
    [PG_TYPE.int8, Number],
    [PG_TYPE.int4, Number],
    [PG_TYPE.float8, Number],
    [PG_TYPE.json, asJson],
    [PG_TYPE.jsonb, asJson],
    [PG_TYPE.int4Array, asIntArray],
    [PG_TYPE.timestamptz, pgTimestampToIso],
  ]),
)

const TIME_COLUMNS = [
  'created_at',
  'enqueued_at',
  'scheduled_for',
  'discard_at',
  'started_at',
  'ended_at',
  'expires_at',
] as const satisfies readonly (keyof JobRow)[]

/**
 * A claim's row in ClaimedJobRow's shape, whichever way it was read: as is when CLAIM_ROW_TYPES
 * decoded it (named statements), converted when Kysely's pg defaults did (Dates, int8 as a string).
 */
export function claimedRow(row: Record<string, unknown>): ClaimedJobRow {
  if (typeof row.created_at !== 'string') {
    for (const column of TIME_COLUMNS) {
      const value = row[column]
      if (value instanceof Date) row[column] = value.toISOString()
    }
    row.position = Number(row.position)
  }
  return row as unknown as ClaimedJobRow
}
