import { redactConnectionString } from '@pq/core/internal'

/** A connection string without its secrets, for messages (pq's one redaction function). */
export function redactUrl(url: string): string {
  return redactConnectionString(url)
}
