// Job ids: UUIDs whose first 48 bits are the creation time in milliseconds (RFC 9562 version 7).
import { randomFillSync } from 'node:crypto'

const random = Buffer.alloc(4096)
/** `random` as hex, taken 16 digits an id: one conversion per 4 KB rather than two per id. */
let randomHex = ''
let randomAt = 0

function randomDigits(n: number): string {
  if (randomAt + n > randomHex.length) {
    randomFillSync(random)
    randomHex = random.toString('hex')
    randomAt = 0
  }
  return randomHex.slice(randomAt, (randomAt += n))
}

/** The variant digit (binary 10xx) for a random hex digit: its two low bits are kept. */
const VARIANT_DIGIT: Record<string, string> = Object.fromEntries([...'0123456789abcdef'].map((d, i) => [d, '89ab'[i & 3]!]))

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
  // 62 random bits: the variant digit's two, and 15 hex digits.
  const r = randomDigits(16)
  const hex = ms.toString(16).padStart(12, '0')
  const seq = (0x7000 | sequence).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8)}-${seq}-${VARIANT_DIGIT[r[0]!]}${r.slice(1, 4)}-${r.slice(4)}`
}
