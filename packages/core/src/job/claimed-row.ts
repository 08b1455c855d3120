// Decoding a claim's rows: the job's columns as they come off the wire, into the row a worker runs.
import type pg from 'pg'
import type { JobRowJson } from '../db/tables.js'

/**
 * A claimed row: the job's columns with timestamps as ISO strings and `position` a number;
 * `serial_claim` says it holds its serial queue's lock until its outcome is recorded.
 */
export type ClaimedJobRow = JobRowJson & { serial_claim?: boolean }

/** The type OIDs of the job table's columns (pg_type), decoded here without pg-types. */
const BOOL = 16
const INT8 = 20
const INT4 = 23
const JSON_OID = 114
const FLOAT8 = 701
const INT4_ARRAY = 1007
const TIMESTAMPTZ = 1184
const JSONB = 3802

const asIs = (text: string): string => text
const asBool = (text: string): boolean => text === 't'
const asJson = (text: string): unknown => JSON.parse(text)
const asIntArray = (text: string): number[] => (text === '{}' ? [] : text.slice(1, -1).split(',').map(Number))

/**
 * A timestamptz in Postgres' ISO text form ("2026-12-03 07:38:07.749+00") as an ISO 8601 string
 * ("2026-12-03T07:38:07.749+00:00"), which Job parses only when read. pg-types would build a Date
 * for each of the three set on a claimed job, about a microsecond apiece.
 */
export function pgTimestampToIso(text: string): string {
  const iso = text.charCodeAt(10) === 32 ? `${text.slice(0, 10)}T${text.slice(11)}` : text
  // The offset is "+HH" unless the zone has minutes ("+05:30"); ISO 8601 wants "+HH:MM".
  const sign = iso.charCodeAt(iso.length - 3)
  return sign === 43 || sign === 45 ? `${iso}:00` : iso
}

const PARSERS = new Map<number, (text: string) => unknown>([
  [BOOL, asBool],
  [INT8, Number],
  [INT4, Number],
  [FLOAT8, Number],
  [JSON_OID, asJson],
  [JSONB, asJson],
  [INT4_ARRAY, asIntArray],
  [TIMESTAMPTZ, pgTimestampToIso],
])

/**
 * The claim's type parsers (pg's per-query `types`): every column of a job row decoded straight into
 * ClaimedJobRow's shape. Returning the columns costs the server about 3.5 us a row where
 * `row_to_json(j.*)` cost 11.5 us (it looks up each column's output rules again for every row), and
 * these parsers cost the worker no more than the one JSON.parse did.
 */
export const CLAIM_ROW_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number) => PARSERS.get(oid) ?? asIs) as pg.CustomTypesConfig['getTypeParser'],
}

const TIME_COLUMNS = ['created_at', 'enqueued_at', 'scheduled_for', 'discard_at', 'started_at', 'ended_at', 'expires_at'] as const

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
