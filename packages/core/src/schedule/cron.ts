import { CronExpressionParser, type CronExpression } from 'cron-parser'
import { DateTime } from 'luxon'
import { InvalidSchedule } from '../errors.js'

const EXPECTED =
  'use 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "30 9 * * 1-5" or "*/10 * * * * *"'

/**
 * Reads a `cron` option into its normalised form (trimmed, single spaces), checking that it has 5
 * or 6 fields (or is one of cron-parser's aliases such as '@daily'), that cron-parser accepts it in
 * `tz`, and that it names a time that exists ("0 0 30 2 *" never does). Refused with
 * {@link InvalidSchedule}, cron-parser's own words given as the detail.
 */
export function parseCron(input: unknown, tz: string): string {
  if (typeof input !== 'string') throw new InvalidSchedule('cron', `invalid cron ${JSON.stringify(input)}: expected a string; ${EXPECTED}`)
  const expression = input.trim().split(/\s+/).join(' ')
  const fields = expression === '' ? 0 : expression.split(' ').length
  if (!expression.startsWith('@') && fields !== 5 && fields !== 6) {
    throw new InvalidSchedule('cron', `invalid cron ${JSON.stringify(input)}: found ${fields} field${fields === 1 ? '' : 's'}; ${EXPECTED}`)
  }
  try {
    // Parsing alone passes some impossible dates; asking for one time catches those too.
    CronExpressionParser.parse(expression, { tz, currentDate: new Date(0) }).next()
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err)
    throw new InvalidSchedule('cron', `invalid cron ${JSON.stringify(input)}: ${detail}; ${EXPECTED}`)
  }
  return expression
}

/**
 * The run times of a cron rule, read in its zone (cron-parser keeps wall-clock times across DST).
 * @internal
 */
export class CronSlots {
  readonly #expression: string
  readonly #tz: string

  constructor(expression: string, tz: string) {
    this.#expression = expression
    this.#tz = tz
  }

  /** A stepper over the cron times strictly after `t`, in order. */
  after(t: DateTime): () => DateTime {
    let cron: CronExpression
    try {
      cron = CronExpressionParser.parse(this.#expression, { tz: this.#tz, currentDate: t.toJSDate() })
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err)
      throw new InvalidSchedule(
        'cron',
        `stored cron ${JSON.stringify(this.#expression)} is not readable (${detail}); resolve the rule again from its input`,
      )
    }
    return () => DateTime.fromMillis(cron.next().getTime(), { zone: 'utc' })
  }

  /** The first cron time at or after `t`. */
  atOrAfter(t: DateTime): DateTime {
    // cron-parser works in whole seconds and steps strictly past its start, so start 1s early and
    // skip a time that falls in the second before a mid-second `t`.
    const next = this.after(t.minus({ seconds: 1 }))
    for (;;) {
      const at = next()
      if (at.toMillis() >= t.toMillis()) return at
    }
  }

  /** The last cron time at or before `t`. */
  atOrBefore(t: DateTime): DateTime {
    const cron = CronExpressionParser.parse(this.#expression, { tz: this.#tz, currentDate: t.plus({ seconds: 1 }).toJSDate() })
    for (;;) {
      const at = DateTime.fromMillis(cron.prev().getTime(), { zone: 'utc' })
      if (at.toMillis() <= t.toMillis()) return at
    }
  }
}
