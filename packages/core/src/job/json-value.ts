import { InvalidArgument } from '../errors.js'
import type { Json } from '../db/tables.js'

/**
 * Checks that a value survives a JSON round trip unchanged in meaning, and returns its JSON form.
 * Refused, naming the path (`args[1].when`): functions, symbols, BigInt, NaN and infinities,
 * circular structures, and objects JSON would silently flatten (Map, Set, class instances without
 * toJSON). Dates become ISO strings, as JSON.stringify makes them. `undefined` object properties are
 * dropped, as in JSON; an `undefined` argument becomes null.
 */
export function toJson(path: string, value: unknown): Json {
  return walk(path, value, new Set())
}

function walk(path: string, value: unknown, seen: Set<object>): Json {
  switch (typeof value) {
    case 'string':
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
    const proto = Object.getPrototypeOf(obj)
    if (proto !== Object.prototype && proto !== null) {
      const toJSON = (obj as { toJSON?: unknown }).toJSON
      if (typeof toJSON === 'function') return walk(path, toJSON.call(obj), seen)
      const kind = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object'
      throw new InvalidArgument(path, `a ${kind} would lose its contents in JSON (convert it to a plain object or array)`)
    }
    const out: { [key: string]: Json } = {}
    for (const [key, item] of Object.entries(obj)) {
      if (item === undefined) continue
      out[key] = walk(`${path}.${key}`, item, seen)
    }
    return out
  } finally {
    seen.delete(obj)
  }
}
