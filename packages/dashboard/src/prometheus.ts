import type { QueueStats, WorkerListRow } from '@pq/core/internal'

/** Escapes a label value for the Prometheus text format. */
const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

interface Histogram {
  buckets: number[]
  counts: number[]
  sum: number
  count: number
}

/**
 * The Prometheus text exposition (format 0.0.4) of pq: per-queue job counts by status, paused flag and
 * oldest queued age (from the database), per-worker state and job counters (worker rows), and the
 * claim-wait and run-time histograms each worker stores with its heartbeat (see Worker.metrics()).
 */
export function prometheusText(data: {
  stats: QueueStats[]
  workers: WorkerListRow[]
  live: (w: WorkerListRow) => boolean
  now: Date
}): string {
  const out: string[] = []
  const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
  family('pq_queue_jobs', 'gauge', 'Jobs per queue and status (finished and failed above 20,000 are estimates).')
  for (const s of data.stats)
    for (const [status, n] of Object.entries(s.counts)) out.push(`pq_queue_jobs{queue="${label(s.name)}",status="${status}"} ${n}`)
  family('pq_queue_paused', 'gauge', '1 while the queue is paused (no worker claims from it).')
  for (const s of data.stats) out.push(`pq_queue_paused{queue="${label(s.name)}"} ${s.pausedAt ? 1 : 0}`)
  family('pq_queue_oldest_queued_age_seconds', 'gauge', 'Age of the oldest queued job of the queue; 0 when none waits.')
  for (const s of data.stats) {
    const age = s.oldestQueuedAt ? Math.max(0, (data.now.getTime() - s.oldestQueuedAt.toMillis()) / 1000) : 0
    out.push(`pq_queue_oldest_queued_age_seconds{queue="${label(s.name)}"} ${age}`)
  }
  family('pq_queue_workers', 'gauge', 'Live workers serving the queue.')
  for (const s of data.stats) out.push(`pq_queue_workers{queue="${label(s.name)}"} ${s.workers}`)
  const states = ['starting', 'idle', 'busy', 'stopping', 'stopped', 'lost']
  family('pq_worker_state', 'gauge', '1 for the state each registered worker is in (lost: no heartbeat lately).')
  for (const w of data.workers) {
    const state = data.live(w) ? w.state : 'lost'
    for (const s of states) out.push(`pq_worker_state{worker="${label(w.name)}",state="${s}"} ${s === state ? 1 : 0}`)
  }
  family('pq_worker_jobs_finished_total', 'counter', 'Jobs the worker finished since it started.')
  for (const w of data.workers) out.push(`pq_worker_jobs_finished_total{worker="${label(w.name)}"} ${Number(w.successful_count)}`)
  family('pq_worker_jobs_failed_total', 'counter', 'Failed attempts (final failures and retried ones) since the worker started.')
  for (const w of data.workers) out.push(`pq_worker_jobs_failed_total{worker="${label(w.name)}"} ${Number(w.failed_count)}`)
  const histogram = (name: string, key: 'claimWaitSeconds' | 'runSeconds', help: string) => {
    family(name, 'histogram', help)
    for (const w of data.workers) {
      const h = (w.metrics as Record<string, Histogram> | null)?.[key]
      if (!h || !Array.isArray(h.buckets)) continue
      const l = `worker="${label(w.name)}"`
      h.buckets.forEach((b, i) => out.push(`${name}_bucket{${l},le="${b}"} ${h.counts[i] ?? 0}`))
      out.push(`${name}_bucket{${l},le="+Inf"} ${h.count}`, `${name}_sum{${l}} ${h.sum}`, `${name}_count{${l}} ${h.count}`)
    }
  }
  histogram(
    'pq_job_claim_wait_seconds',
    'claimWaitSeconds',
    'From a job becoming queued to a worker claiming it (database clock), per worker, as of its last heartbeat.',
  )
  histogram('pq_job_run_seconds', 'runSeconds', 'Run time of jobs, per worker, as of its last heartbeat.')
  return `${out.join('\n')}\n`
}
