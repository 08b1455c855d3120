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
    throw new InvalidOption('schema', `invalid schema name ${JSON.stringify(name)}: use 1-40 lower-case letters, digits or _, not starting with a digit (e.g. pq, pq_app1)`)
  }
  return name
}

/** The NOTIFY channel on which enqueues wake workers, and schedule changes reach them. */
export const workChannel = (schema: string): string => `pq_${schema}_work`

/** The NOTIFY channel on which completions wake `waitForResult` callers. */
export const doneChannel = (schema: string): string => `pq_${schema}_done`

/** The NOTIFY channel on which workers are asked to stop (pq-worker --stop / --terminate). */
export const controlChannel = (schema: string): string => `pq_${schema}_control`
