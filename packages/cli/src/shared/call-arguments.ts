import { InvalidOption, type EnqueueOptions, type Json } from '@pq/core'

/**
 * Reads command-line job arguments as JSON where they parse (`2`, `true`, `null`, `{"a":1}`,
 * `"quoted"`), else keeps them as strings (`Bob`), as django-pq's pqenqueue does.
 */
export function parseCallArguments(values: readonly (string | number)[]): Json[] {
  return values.map((value, i) => {
    const text = String(value)
    let parsed: Json
    try {
      parsed = JSON.parse(text) as Json
    } catch {
      return text
    }
    checkExact(`argument ${i + 1}`, text, parsed)
    return parsed
  })
}

/**
 * Refuses JSON holding an integer beyond 2^53: JSON.parse would store a rounded number
 * (123456789012345678901234567890 becomes 1.2345678901234568e+29) without a word.
 */
function checkExact(what: string, text: string, value: unknown): void {
  const inexact = (v: unknown): boolean =>
    typeof v === 'number'
      ? Number.isInteger(v) && !Number.isSafeInteger(v)
      : Array.isArray(v)
        ? v.some(inexact)
        : typeof v === 'object' && v !== null
          ? Object.values(v).some(inexact)
          : false
  if (inexact(value)) {
    const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text
    throw new InvalidOption(
      'args',
      `${what} ${shown} holds an integer beyond 2^53, which a JSON number cannot keep exactly; quote it to pass a string (e.g. '"${shown}"') or use a smaller number`,
    )
  }
}

/** Reads --kwargs: a JSON object, or a one-line error showing a valid form. */
export function parseKwargs(text: string | undefined): Record<string, Json> | undefined {
  if (text === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new InvalidOption(
      'kwargs',
      `--kwargs is not valid JSON (${(err as Error).message}): ${JSON.stringify(text)}; use e.g. --kwargs '{"name": "Bob"}'`,
    )
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOption('kwargs', `--kwargs must be a JSON object, got ${text}; use e.g. --kwargs '{"name": "Bob"}'`)
  }
  checkExact('--kwargs', text, value)
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

/** What withEnqueueOptions' flags parse to. */
export interface EnqueueFlags {
  timeout?: string
  'result-ttl'?: string
  'failure-ttl'?: string
  ttl?: string
  'at-front'?: boolean
  description?: string
  meta?: string
  retry?: number
  'retry-interval'?: number[]
  priority?: string
}

/** The job options given by withEnqueueOptions' flags (absent flags are left out, so defaults apply). */
export function enqueueOptionsFromFlags(flags: EnqueueFlags): EnqueueOptions {
  const options: EnqueueOptions = {
    timeout: flags.timeout,
    resultTtl: flags['result-ttl'],
    failureTtl: flags['failure-ttl'],
    ttl: flags.ttl,
    atFront: flags['at-front'],
    description: flags.description,
    meta: parseMeta(flags.meta),
    retry: flags.retry === undefined ? undefined : { max: flags.retry, intervals: flags['retry-interval'] ?? [] },
    priority: flags.priority === undefined ? undefined : parsePriority(flags.priority),
  }
  for (const key of Object.keys(options) as (keyof EnqueueOptions)[]) if (options[key] === undefined) delete options[key]
  return options
}

/** --priority's text as a whole number; toPriority (at enqueue) then checks its range. */
function parsePriority(text: string): number {
  if (!/^[+-]?\d+$/.test(text.trim())) {
    throw new InvalidOption(
      'priority',
      `invalid --priority ${JSON.stringify(text)}: use a whole number such as -10, 0 or 5 (lower runs first)`,
    )
  }
  return Number(text)
}
