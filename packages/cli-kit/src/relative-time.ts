import { DateTime } from 'luxon'

/**
 * How far `then` is from `now`, in words: `12 sec. ago`, `3 min. ago`, `in 2 hr.` (luxon's
 * toRelative, short style, English). pq's one "how long ago", shared by pq-admin and the dashboard.
 */
export function relativeTime(then: Date, now: Date): string {
  return DateTime.fromJSDate(then).toRelative({ base: DateTime.fromJSDate(now), style: 'short', locale: 'en' }) ?? '-'
}
