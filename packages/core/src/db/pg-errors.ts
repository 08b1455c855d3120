import { PqError, ConnectionError } from '../errors.js'
import { describeConnection } from '../config/env.js'

/** SQLSTATE codes pq branches on. Match codes, never message text. */
export const UNIQUE_VIOLATION = '23505'
export const FOREIGN_KEY_VIOLATION = '23503'
export const UNDEFINED_TABLE = '42P01'
export const UNDEFINED_OBJECT = '42704'
export const INVALID_SCHEMA_NAME = '3F000'
export const DEADLOCK_DETECTED = '40P01'
export const SERIALIZATION_FAILURE = '40001'
export const ADMIN_SHUTDOWN = '57P01'
export const QUERY_CANCELED = '57014'
export const INVALID_TEXT_REPRESENTATION = '22P02'

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', '28P01', '28000', '3D000'])

/**
 * A failure to reach Postgres (refused, unknown host, bad password, no such database) as pq's
 * ConnectionError, naming where it tried with the secrets masked; any other error as it is.
 */
export function asConnectionError(err: unknown, connection: unknown): unknown {
  if (err instanceof AggregateError && err.errors.length) return asConnectionError(err.errors[0], connection)
  const code = (err as { code?: unknown })?.code
  if (err instanceof PqError || typeof code !== 'string' || !CONNECTION_CODES.has(code)) return err
  const url = typeof connection === 'string' ? connection
    : typeof connection === 'object' && connection !== null && typeof (connection as { connectionString?: unknown }).connectionString === 'string'
      ? (connection as { connectionString: string }).connectionString : connection === undefined ? process.env.DATABASE_URL : undefined
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
