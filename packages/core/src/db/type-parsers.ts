// Row decoding for hot-path statements: pg's per-query `types`, so a statement's columns arrive in
// the shape pq uses without pg-types' general (and, on a cold call, slow) parsers.
import type pg from 'pg'

/** pg_type oids of the column types pq's hot statements return. */
export const PG_TYPE = {
  bool: 16,
  int8: 20,
  int4: 23,
  json: 114,
  float8: 701,
  int4Array: 1007,
  timestamptz: 1184,
  jsonb: 3802,
} as const

/**
 * A timestamptz in Postgres' ISO text form ("2026-12-03 07:38:07.749+00") as an ISO 8601 string
 * ("2026-12-03T07:38:07.749+00:00"), which Date and luxon parse natively.
 */
export function pgTimestampToIso(text: string): string {
  const iso = text.charCodeAt(10) === 32 ? `${text.slice(0, 10)}T${text.slice(11)}` : text
  // The offset is "+HH" unless the zone has minutes ("+05:30"); ISO 8601 wants "+HH:MM".
  const sign = iso.charCodeAt(iso.length - 3)
  return sign === 43 || sign === 45 ? `${iso}:00` : iso
}

const asIs = (text: string): string => text

/** Per-query type parsers: the given ones by oid, every other type as its text. */
export function typeParsers(byOid: ReadonlyMap<number, (text: string) => unknown>): pg.CustomTypesConfig {
  return { getTypeParser: ((oid: number) => byOid.get(oid) ?? asIs) as pg.CustomTypesConfig['getTypeParser'] }
}
