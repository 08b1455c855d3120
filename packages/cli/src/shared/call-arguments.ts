import { InvalidOption, type Json } from '@pq/core'

/**
 * Reads command-line job arguments as JSON where they parse (`2`, `true`, `null`, `{"a":1}`,
 * `"quoted"`), else keeps them as strings (`Bob`), as django-pq's pqenqueue does.
 */
export function parseCallArguments(values: readonly (string | number)[]): Json[] {
  return values.map((value) => {
    const text = String(value)
    try {
      return JSON.parse(text) as Json
    } catch {
      return text
    }
  })
}

/** Reads --kwargs: a JSON object, or a one-line error showing a valid form. */
export function parseKwargs(text: string | undefined): Record<string, Json> | undefined {
  if (text === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new InvalidOption('kwargs', `--kwargs is not valid JSON (${(err as Error).message}): ${JSON.stringify(text)}; use e.g. --kwargs '{"name": "Bob"}'`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOption('kwargs', `--kwargs must be a JSON object, got ${text}; use e.g. --kwargs '{"name": "Bob"}'`)
  }
  return value as Record<string, Json>
}

/** Reads --meta: a JSON object. */
export function parseMeta(text: string | undefined): Record<string, Json> | undefined {
  if (text === undefined) return undefined
  try {
    const value = JSON.parse(text) as unknown
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, Json>
  } catch {
    // reported below, with the expected form
  }
  throw new InvalidOption('meta', `--meta must be a JSON object, got ${JSON.stringify(text)}; use e.g. --meta '{"tenant": 7}'`)
}
