import { InvalidOption } from '../errors.js'

/** The schema pq uses when none is given. */
export const DEFAULT_SCHEMA = 'pq'

/**
 * Validates a schema name. Kept to a plain lower-case identifier of at most 40 bytes, so it never
 * needs quoting surprises and the channel names derived from it stay under Postgres' 63-byte limit.
 */
export function schemaName(input: string | undefined): string {
  const name = input ?? DEFAULT_SCHEMA
  if (!/^[a-z_][a-z0-9_]{0,39}$/.test(name)) {
    throw new InvalidOption(
      'schema',
      `invalid schema name ${JSON.stringify(name)}: use 1-40 lower-case letters, digits or _, not starting with a digit (e.g. pq, pq_app1)`,
    )
  }
  if (name.startsWith('pg_')) {
    throw new InvalidOption(
      'schema',
      `invalid schema name ${JSON.stringify(name)}: names starting with pg_ belong to Postgres itself; use a schema of pq's own (e.g. pq, pq_app1)`,
    )
  }
  return name
}
