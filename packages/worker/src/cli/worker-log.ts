import type { CliIo } from '@pq/cli-kit'
import type { Logger, LogMethod } from '../worker-logging.js'

/** How much pq-worker prints. */
export type LogLevel = 'quiet' | 'normal' | 'verbose'

/**
 * pq-worker's logger (the Worker's `logger` option): lines as `HH:MM:SS text` on stdout, or one JSON
 * object per line with --json. Warnings always go to stderr in text mode; --quiet keeps only
 * warnings and errors, --verbose adds debug lines (results, stacks).
 */
export function cliLogger(io: CliIo, options: { level: LogLevel; json: boolean }): Logger {
  const { level, json } = options
  const method =
    (kind: keyof Logger): LogMethod =>
    (fields, message) => {
      if (json) {
        // The stack already travels in job:failed's excInfo field.
        if (fields.event === 'job:stack') return
        const { event, ...rest } = fields
        io.out.write(
          `${JSON.stringify(event === 'warning' ? { ts: new Date().toISOString(), event, message } : { ts: new Date().toISOString(), event, ...rest })}\n`,
        )
        return
      }
      if (fields.event === 'warning') {
        io.err.write(`pq-worker: warning: ${message}\n`)
        return
      }
      if (kind === 'debug' && level !== 'verbose') return
      if (level === 'quiet' && kind !== 'error') return
      if (fields.event === 'job:stack') io.out.write(`${message}\n`)
      else io.out.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`)
    }
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') }
}
