// Job ids: UUIDs whose first 48 bits are the creation time in milliseconds (RFC 9562 version 7).
import { randomFillSync } from 'node:crypto'

const random = Buffer.alloc(4096)
let randomAt = random.length

function randomBytes(n: number): Buffer {
  if (randomAt + n > random.length) {
    randomFillSync(random)
    randomAt = 0
  }
  const out = random.subarray(randomAt, randomAt + n)
  randomAt += n
  return out
}

let lastMs = 0
let sequence = 0

/**
 * A new job id: a version 7 UUID string. Its time prefix makes ids created one after another sort
 * together, so primary key inserts land on the index's last page instead of a random one (a random
 * v4 key dirtied a different page per job); within one millisecond a 12-bit counter keeps this
 * process's ids in order. The id is still an opaque string to the API.
 */
export function newJobId(): string {
  let ms = Date.now()
  if (ms <= lastMs) {
    ms = lastMs
    sequence++
    if (sequence > 0xfff) {
      ms = ++lastMs
      sequence = 0
    }
  } else {
    lastMs = ms
    sequence = 0
  }
  const r = randomBytes(8)
  const hex = ms.toString(16).padStart(12, '0')
  const seq = (0x7000 | sequence).toString(16)
  const variant = ((r[0]! & 0x3f) | 0x80).toString(16).padStart(2, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8)}-${seq}-${variant}${r.subarray(1, 2).toString('hex')}-${r.subarray(2, 8).toString('hex')}`
}
