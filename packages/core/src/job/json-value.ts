import { InvalidArgument, InvalidOption } from '../errors.js'
import type { Json } from '../db/tables.js'

/**
 * Checks that a value survives a JSON round trip unchanged in meaning, and returns its JSON form.
 * Refused, naming the path (`args[1].when`): functions, symbols, BigInt, NaN and infinities,
 * circular structures, and objects JSON would silently flatten (Map, Set, class instances without
 * toJSON). Dates become ISO strings, as JSON.stringify makes them. `undefined` object properties are
 * dropped, as in JSON; an `undefined` argument becomes null.
 */
export function toJson(path: string, value: unknown): Json {
  // Most values are JSON already: checked without copying them or building paths, and returned as
  // they are; anything else (or deeper than the check goes) takes the walk, which converts or names
  // what is wrong.
  if (isPlainJsonAt(value, 0)) return value as Json
  return walk(path, value, new Set())
}

/** Whether `value` is its own JSON form, so `toJson` would return it as it is (see isPlainJsonAt). */
export const isPlainJson = (value: unknown): boolean => isPlainJsonAt(value, 0)

/** Text that needs checkText's closer look: a NUL, or any UTF-16 surrogate (paired ones are fine there). */
const SUSPECT_TEXT = /[\u0000\uD800-\uDFFF]/

/**
 * Whether `value` is its own JSON form: strings without NUL or surrogates, finite numbers, booleans,
 * null, and plain arrays and objects of those (no undefined property), at most 32 levels deep.
 */
function isPlainJsonAt(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return !SUSPECT_TEXT.test(value)
    case 'number':
      return Number.isFinite(value)
    case 'boolean':
      return true
    case 'object':
      break
    default:
      return false
  }
  if (value === null) return true
  if (depth >= 32) return false
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!(i in value) || !isPlainJsonAt(value[i], depth + 1)) return false
    return true
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return false
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false
    const item = (value as Record<string, unknown>)[key]
    if (item === undefined || SUSPECT_TEXT.test(key) || !isPlainJsonAt(item, depth + 1)) return false
  }
  return true
}

/** Half of a UTF-16 surrogate pair without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Whether text holds a lone surrogate, which Postgres would store as U+FFFD. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text)
}

/** The most JSON one field (args, kwargs, meta) may hold: far below Postgres' 255 MB jsonb limit, and a job row stays movable. */
export const MAX_JSON_CHARS = 64 * 1024 * 1024

/** Refuses a field whose JSON text is too large, naming it. */
export function checkJsonSize(path: string, json: string): string {
  if (json.length > MAX_JSON_CHARS) {
    throw new InvalidArgument(
      path,
      `is ${(json.length / 1024 / 1024).toFixed(0)} MB as JSON; a job carries at most ${MAX_JSON_CHARS / 1024 / 1024} MB per field (store big data elsewhere and pass its key)`,
    )
  }
  return json
}

/**
 * Refuses text Postgres cannot store: the NUL character (jsonb and text refuse \u0000) and lone
 * UTF-16 surrogates (they would be stored as U+FFFD), naming where it was found.
 */
export function checkText(path: string, text: string, kind: 'argument' | 'option' = 'argument'): string {
  let problem: string | undefined
  if (text.includes('\u0000'))
    problem = 'it holds the character \\u0000, which Postgres cannot store; strip it, or encode the value (base64)'
  else if (hasLoneSurrogate(text))
    problem = 'it holds a lone UTF-16 surrogate (half of a character), which Postgres would store as U+FFFD; pass whole characters'
  if (problem === undefined) return text
  throw kind === 'option' ? new InvalidOption(path, `invalid ${path}: ${problem}`) : new InvalidArgument(path, problem)
}

function walk(path: string, value: unknown, seen: Set<object>): Json {
  switch (typeof value) {
    case 'string':
      return checkText(path, value)
    case 'boolean':
      return value
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidArgument(path, `${value} is not a finite number`)
      return value
    case 'undefined':
      return null
    case 'bigint':
      throw new InvalidArgument(path, `BigInt ${value}n has no JSON form (pass it as a string or number)`)
    case 'function':
      throw new InvalidArgument(path, `a function (${value.name || 'anonymous'}) cannot be sent to a worker`)
    case 'symbol':
      throw new InvalidArgument(path, `a symbol (${value.toString()}) has no JSON form`)
  }
  if (value === null) return null
  const obj = value as object
  if (seen.has(obj)) throw new InvalidArgument(path, 'it refers back to itself (a circular structure)')
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InvalidArgument(path, 'an invalid Date')
    return value.toISOString()
  }
  seen.add(obj)
  try {
    if (Array.isArray(value)) return value.map((item, i) => walk(`${path}[${i}]`, item, seen))
    const proto: unknown = Object.getPrototypeOf(obj)
    if (proto !== Object.prototype && proto !== null) {
      const toJSON = (obj as { toJSON?: unknown }).toJSON
      if (typeof toJSON === 'function') return walk(path, toJSON.call(obj), seen)
      const kind = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object'
      throw new InvalidArgument(path, `a ${kind} would lose its contents in JSON (convert it to a plain object or array)`)
    }
    const out: { [key: string]: Json } = {}
    for (const [key, item] of Object.entries(obj)) {
      if (item === undefined) continue
      checkText(`${path} key ${JSON.stringify(key).slice(0, 40)}`, key)
      out[key] = walk(`${path}.${key}`, item, seen)
    }
    return out
  } finally {
    seen.delete(obj)
  }
}
