import { PqError, ConnectionError } from '../errors.js'
import { describeConnection } from '../config/env.js'

/** SQLSTATE codes pq branches on. Match codes, never message text. */
export const UNIQUE_VIOLATION = '23505'
export const UNDEFINED_TABLE = '42P01'
export const INVALID_SCHEMA_NAME = '3F000'
export const DEADLOCK_DETECTED = '40P01'
export const SERIALIZATION_FAILURE = '40001'
const INVALID_PASSWORD = '28P01'
const INVALID_AUTHORIZATION_SPECIFICATION = '28000'
const INVALID_CATALOG_NAME = '3D000' // no such database

/** SQLSTATE classes that blame the values written: data exception, integrity constraint, program limit. */
const DATA_ERROR_CLASSES = new Set(['22', '23', '54'])

/** Node's socket errors and the SQLSTATEs that mean "cannot get in" (bad password, no such database). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  INVALID_PASSWORD,
  INVALID_AUTHORIZATION_SPECIFICATION,
  INVALID_CATALOG_NAME,
])

/** True when `err` (not already a PqError) means Postgres could not be reached or refused the login. */
export function isConnectionFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return !(err instanceof PqError) && typeof code === 'string' && CONNECTION_CODES.has(code)
}

/** True when Postgres refused the values themselves (retrying the same values cannot help). */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.length === 5 && DATA_ERROR_CLASSES.has(code.slice(0, 2))
}

/**
 * A failure to reach Postgres (refused, unknown host, bad password, no such database) as pq's
 * ConnectionError, naming where it tried with the secrets masked; any other error as it is.
 */
export function asConnectionError(err: unknown, connection: unknown): unknown {
  if (err instanceof AggregateError && err.errors.length) return asConnectionError(err.errors[0], connection)
  if (!isConnectionFailure(err)) return err
  const code = (err as { code: string }).code
  const url =
    typeof connection === 'string'
      ? connection
      : typeof connection === 'object' &&
          connection !== null &&
          typeof (connection as { connectionString?: unknown }).connectionString === 'string'
        ? (connection as { connectionString: string }).connectionString
        : connection === undefined
          ? process.env.DATABASE_URL
          : undefined
  const reason = err instanceof Error ? err.message || code : code
  return new ConnectionError(`cannot connect to Postgres at ${describeConnection(url)}: ${reason}`, { cause: err })
}

/** True when `err` is a Postgres error with this SQLSTATE. */
export function isPgError(err: unknown, code: string): err is Error & { code: string; constraint?: string } {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code
}

/** Errors after which the worker's own statements may simply run again. */
export function isRetryablePgError(err: unknown): boolean {
  return isPgError(err, DEADLOCK_DETECTED) || isPgError(err, SERIALIZATION_FAILURE)
}
