import type { Job } from '@pq/core'
import type { Worker } from './worker.js'
import type { JobRunReport } from './run/job-runner.js'

/** One log method: structured fields first, then the message (pino's order; console prints both). */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void

/**
 * What the `logger` option of a Worker takes: any object with these four methods, so a pino logger,
 * `console`, or a wrapper of your own fits. Every call's fields carry `event` (e.g. 'job:finished').
 */
export interface Logger {
  debug: LogMethod
  info: LogMethod
  warn: LogMethod
  error: LogMethod
}

const ttlText = (ttl: number) => (ttl === 0 ? 'Result discarded' : ttl < 0 ? 'Result is kept forever' : `Result is kept for ${ttl} seconds`)
const firstLine = (text: string | null) => (text ?? '').split('\n')[0]

/**
 * Turns a worker's events into log lines in RQ's spirit ("*** Listening for work on ...", "Job OK"):
 * the worker calls it for its `logger` option, and pq-worker's text and --json output go through it.
 */
export function logWorkerEvents(worker: Worker, logger: Logger): void {
  const queuesText = () => (worker.options.queues.length ? worker.options.queues.join(', ') : 'every queue')
  let listening = false
  const announce = () => {
    if (listening) return
    listening = true
    logger.info({ event: 'worker:listening', queues: worker.options.queues }, `*** Listening for work on ${queuesText()}`)
  }
  worker.on('worker:started', (info) => {
    logger.debug(
      { event: 'worker:started', name: info.name, mode: info.mode, concurrency: worker.options.concurrency },
      `Worker ${info.name} started (concurrency ${worker.options.concurrency}, ${info.mode === 'listen' ? 'LISTEN/NOTIFY' : 'polling'})`,
    )
    announce()
  })
  worker.on('worker:idle', announce)
  worker.on('job:started', (job: Job) => {
    listening = false
    logger.info(
      { event: 'job:started', id: job.id, queue: job.origin, func: job.func, attempt: job.attempts },
      `${job.origin}: ${job.description ?? job.callString} (${job.id})`,
    )
  })
  worker.on('job:finished', (job: Job, report: JobRunReport) => {
    logger.info(
      { event: 'job:finished', id: job.id, queue: job.origin, seconds: report.seconds, resultTtl: job.resultTtl },
      `${job.origin}: Job OK (${job.id})`,
    )
    logger.debug({ event: 'job:result', id: job.id, result: job.result }, `Result: ${JSON.stringify(job.result)}`)
    logger.info({ event: 'job:ttl', id: job.id }, ttlText(job.resultTtl))
  })
  worker.on('job:failed', (job: Job, report: JobRunReport) => {
    logger.error(
      { event: 'job:failed', id: job.id, queue: job.origin, error: firstLine(report.outcome.excInfo), excInfo: report.outcome.excInfo },
      `${job.origin}: Job failed (${job.id}): ${firstLine(report.outcome.excInfo)}`,
    )
    logger.debug({ event: 'job:stack', id: job.id }, report.outcome.excInfo ?? '')
  })
  worker.on('job:retried', (job: Job, report: JobRunReport) => {
    const when = report.outcome.retryAt ? `at ${report.outcome.retryAt.toISO()}` : 'now'
    logger.warn(
      {
        event: 'job:retried',
        id: job.id,
        queue: job.origin,
        attempt: job.attempts,
        of: job.retry.max + 1,
        retryAt: report.outcome.retryAt?.toISO() ?? null,
        error: firstLine(report.outcome.excInfo),
      },
      `${job.origin}: Job failed (${job.id}), attempt ${job.attempts} of ${job.retry.max + 1}, retrying ${when}: ${firstLine(report.outcome.excInfo)}`,
    )
  })
  worker.on('job:vanished', (job: Job, report: JobRunReport) => {
    logger.warn(
      { event: 'job:vanished', id: job.id, queue: job.origin, outcome: report.outcome.status },
      `${job.origin}: Job ${job.id} ended (${report.outcome.status}) but its row was gone (deleted, or recovered by another worker); nothing was recorded`,
    )
  })
  worker.on('job:discarded', (job: Job, report: JobRunReport) => {
    logger.warn(
      { event: 'job:discarded', id: job.id, queue: job.origin },
      `${job.origin}: Job discarded (${job.id}): ${report.outcome.excInfo}`,
    )
  })
  worker.on('jobs:rescued', (rescued) => {
    for (const r of rescued) {
      logger.warn(
        { event: 'job:rescued', ...r },
        `Recovered job ${r.id} from lost worker ${r.worker}: ${r.status === 'queued' ? 'requeued' : 'failed (no attempts left)'}`,
      )
    }
  })
  worker.on('waker:mode-changed', (mode) => {
    const fields = { event: 'waker:mode-changed', mode }
    if (mode === 'listen') logger.info(fields, 'LISTEN connection restored')
    else logger.warn(fields, 'LISTEN connection lost; polling until it is back')
  })
  worker.on('warning', (message) => logger.warn({ event: 'warning', message }, message))
  worker.on('worker:stopped', ({ reason }) => logger.info({ event: 'worker:stopped', reason }, reason))
}
