import { InvalidQueueName } from '../errors.js'
import { hasLoneSurrogate } from '../job/json-value.js'

/** Names no queue may take: 'failed' is where RQ kept failed jobs, and pq keeps the word for that. */
const RESERVED = new Set(['failed'])

/** Validates a queue name and returns it: 1-63 bytes, no control characters, not reserved. */
export function queueName(name: unknown): string {
  if (typeof name !== 'string') throw new InvalidQueueName(String(name), `expected a string, got ${typeof name}`)
  if (name.length === 0) throw new InvalidQueueName(name, 'it is empty')
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes > 63) throw new InvalidQueueName(name, `it is ${bytes} bytes long`)
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) throw new InvalidQueueName(name, 'it holds a control character')
  if (hasLoneSurrogate(name))
    throw new InvalidQueueName(name, 'it holds a lone UTF-16 surrogate (half of a character), which Postgres would store as U+FFFD')
  if (RESERVED.has(name)) throw new InvalidQueueName(name, `"${name}" is reserved (failed jobs are a status, not a queue)`)
  return name
}
