import type { Job } from '@pq/core'
import type { Worker } from '../worker.js'
import type { JobRunReport } from '../run/job-runner.js'
import type { CliIo } from '@pq/cli-kit'

/** How much pq-worker prints. */
export type LogLevel = 'quiet' | 'normal' | 'verbose'

const ttlText = (ttl: number) => (ttl === 0 ? 'Result discarded' : ttl < 0 ? 'Result is kept forever' : `Result is kept for ${ttl} seconds`)
const firstLine = (text: string | null) => (text ?? '').split('\n')[0]

/**
 * Prints a worker's events in RQ's spirit ("*** Listening for work on ...", "Job OK"), or as one JSON
 * object per line with --json. Warnings always go to stderr.
 */
export function attachWorkerLog(worker: Worker, io: CliIo, options: { level: LogLevel; json: boolean }): void {
  const { level, json } = options
  const line = (text: string) => io.out.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`)
  const emit = (event: string, fields: Record<string, unknown>, text: string, minLevel: LogLevel = 'normal') => {
    if (json) {
      io.out.write(`${JSON.stringify({ ts: new Date().toISOString(), event, ...fields })}\n`)
      return
    }
    if (minLevel === 'verbose' && level !== 'verbose') return
    if (level === 'quiet') return
    line(text)
  }
  const queuesText = worker.options.queues.length ? worker.options.queues.join(', ') : 'every queue'
  let listening = false
  const announce = () => {
    if (listening) return
    listening = true
    emit('worker:listening', { queues: worker.options.queues }, `*** Listening for work on ${queuesText}`)
  }
  worker.on('worker:started', (info) => {
    emit('worker:started', { name: info.name, mode: info.mode, concurrency: worker.options.concurrency },
      `Worker ${info.name} started (concurrency ${worker.options.concurrency}, ${info.mode === 'listen' ? 'LISTEN/NOTIFY' : 'polling'})`, 'verbose')
    announce()
  })
  worker.on('worker:idle', announce)
  worker.on('job:started', (job: Job) => {
    listening = false
    emit('job:started', { id: job.id, queue: job.origin, func: job.func, attempt: job.attempts }, `${job.origin}: ${job.description ?? job.callString} (${job.id})`)
  })
  worker.on('job:finished', (job: Job, report: JobRunReport) => {
    emit('job:finished', { id: job.id, queue: job.origin, seconds: report.seconds, resultTtl: job.resultTtl }, `${job.origin}: Job OK (${job.id})`)
    emit('job:result', { id: job.id, result: job.result }, `Result: ${JSON.stringify(job.result)}`, 'verbose')
    emit('job:ttl', { id: job.id }, ttlText(job.resultTtl), 'normal')
  })
  worker.on('job:failed', (job: Job, report: JobRunReport) => {
    emit('job:failed', { id: job.id, queue: job.origin, error: firstLine(report.outcome.excInfo), excInfo: report.outcome.excInfo },
      `${job.origin}: Job failed (${job.id}): ${firstLine(report.outcome.excInfo)}`)
    if (level === 'verbose' && !json) io.out.write(`${report.outcome.excInfo}\n`)
  })
  worker.on('job:retried', (job: Job, report: JobRunReport) => {
    const when = report.outcome.retryAt ? `at ${report.outcome.retryAt.toISO()}` : 'now'
    emit('job:retried', { id: job.id, queue: job.origin, attempt: job.attempts, of: job.retry.max + 1, retryAt: report.outcome.retryAt?.toISO() ?? null, error: firstLine(report.outcome.excInfo) },
      `${job.origin}: Job failed (${job.id}), attempt ${job.attempts} of ${job.retry.max + 1}, retrying ${when}: ${firstLine(report.outcome.excInfo)}`)
  })
  worker.on('job:vanished', (job: Job, report: JobRunReport) => {
    emit('job:vanished', { id: job.id, queue: job.origin, outcome: report.outcome.status },
      `${job.origin}: Job ${job.id} ended (${report.outcome.status}) but its row was gone (deleted, or recovered by another worker); nothing was recorded`)
  })
  worker.on('job:discarded', (job: Job, report: JobRunReport) => {
    emit('job:discarded', { id: job.id, queue: job.origin }, `${job.origin}: Job discarded (${job.id}): ${report.outcome.excInfo}`)
  })
  worker.on('jobs:rescued', (rescued) => {
    for (const r of rescued) {
      emit('job:rescued', r, `Recovered job ${r.id} from lost worker ${r.worker}: ${r.status === 'queued' ? 'requeued' : 'failed (no attempts left)'}`)
    }
  })
  worker.on('waker:mode-changed', (mode) => {
    emit('waker:mode-changed', { mode }, mode === 'listen' ? 'LISTEN connection restored' : 'LISTEN connection lost; polling until it is back')
  })
  worker.on('warning', (message) => {
    if (json) io.out.write(`${JSON.stringify({ ts: new Date().toISOString(), event: 'warning', message })}\n`)
    else io.err.write(`pq-worker: warning: ${message}\n`)
  })
  worker.on('worker:stopped', ({ reason }) => emit('worker:stopped', { reason }, reason))
}
