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

/** True when `err` is a Postgres error with this SQLSTATE. */
export function isPgError(err: unknown, code: string): err is Error & { code: string; constraint?: string } {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code
}

/** Errors after which the worker's own statements may simply run again. */
export function isRetryablePgError(err: unknown): boolean {
  return isPgError(err, DEADLOCK_DETECTED) || isPgError(err, SERIALIZATION_FAILURE)
}
