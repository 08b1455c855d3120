import { formatMs, formatRate, formatRatio } from './format.js'
import type { ScenarioReport, ScenarioRow, TargetCheck } from './report.js'

/**
 * pq's performance targets (issue 7), checked against medians. They live in the benchmark's output
 * only, never in tests: a loaded CI machine would make them flaky, and a figure is not a bug.
 */
export const TARGETS = {
  drainVsRedis: 1.5,
  latencyP50Ms: 2,
  latencyP99Ms: 5,
  bulkEnqueueRate: 100_000,
  keepUpShare: 0.95,
  prefilledDrainShare: 0.8,
  // issue 14: against graphile-worker and the minimal SQL loop of the same run
  drainVsGraphile: 1.1,
  drainVsLimit: 0.5,
  bulkVsGraphile: 1.5,
  singleVsLimit: 0.9,
  wakeUpOverLimitMs: 0.5,
} as const

type Report = Omit<ScenarioReport, 'targets'>

const median = (row: ScenarioRow | undefined, series: string, metric: string): number | null =>
  row?.results[series]?.[metric]?.median ?? null

const check = (target: string, measured: string, met: boolean, note?: string): TargetCheck => ({
  target,
  measured,
  met,
  ...(note ? { note } : {}),
})
const unmeasured = (target: string, note: string): TargetCheck => ({ target, measured: null, met: null, note })

/** The targets that apply to a scenario, each met, missed or not measured by this invocation. */
export function checkTargets(report: Report): TargetCheck[] {
  switch (report.scenario) {
    case 'drain':
      return [drainTarget(report), ...peerDrainTargets(report), ...prefillTargets(report)]
    case 'drain-c1':
      return peerDrainTargets(report)
    case 'latency':
      return [...latencyTargets(report), wakeUpTarget(report)]
    case 'enqueue':
      return [
        bulkTarget(report),
        peerTarget(report, 'bulkRate', 'bulk enqueue', 'graphile', TARGETS.bulkVsGraphile),
        peerTarget(report, 'singleRate', 'single enqueue', 'limit', TARGETS.singleVsLimit),
      ]
    case 'throughput':
      return [keepUpTarget(report), ...prefillTargets(report)]
    case 'drain-100k':
    case 'sleep':
    case 'write-cost':
      return []
  }
}

function drainTarget(report: Report): TargetCheck {
  const target = `pq drains ≥ ${TARGETS.drainVsRedis}x BullMQ with 1 worker process at concurrency 10`
  const row = report.rows.find((r) => r.workers === 1)
  const pq = median(row, 'pq', 'drainRate')
  const redis = median(row, 'redis', 'drainRate')
  if (report.concurrency !== 10 || pq === null || redis === null) {
    return unmeasured(target, 'needs -w 1, --concurrency 10 and --backend both')
  }
  const ratio = pq / redis
  return check(target, formatRatio(ratio), ratio >= TARGETS.drainVsRedis)
}

function latencyTargets(report: Report): TargetCheck[] {
  const row = report.rows[0]
  const p50 = median(row, 'pq', 'p50Ms')
  const p99 = median(row, 'pq', 'p99Ms')
  const p50Target = `pq p50 ≤ ${TARGETS.latencyP50Ms} ms`
  const p99Target = `pq p99 ≤ ${TARGETS.latencyP99Ms} ms`
  if (p50 === null || p99 === null)
    return [unmeasured(p50Target, 'needs --backend pq or both'), unmeasured(p99Target, 'needs --backend pq or both')]
  const note = `${row!.workers} worker process${row!.workers === 1 ? '' : 'es'}`
  return [
    check(p50Target, `${formatMs(p50)} ms`, p50 <= TARGETS.latencyP50Ms, note),
    check(p99Target, `${formatMs(p99)} ms`, p99 <= TARGETS.latencyP99Ms, note),
  ]
}

function bulkTarget(report: Report): TargetCheck {
  const target = `pq bulk enqueue ≥ ${formatRate(TARGETS.bulkEnqueueRate)} jobs/s`
  const bulk = median(report.rows[0], 'pq', 'bulkRate')
  if (bulk === null) return unmeasured(target, 'needs --backend pq or both')
  return check(target, `${formatRate(bulk)} jobs/s`, bulk >= TARGETS.bulkEnqueueRate)
}

/** Workers keep up when they finish within 5% of the producer's time: consumer ≥ 95% of producer. */
function keepUpTarget(report: Report): TargetCheck {
  const target = `pq's workers keep up with its producer (consumer ≥ ${TARGETS.keepUpShare * 100}% of producer rate)`
  const shares = report.rows.flatMap((row) => {
    const producer = median(row, 'pq', 'producerRate')
    const consumer = median(row, 'pq', 'consumerRate')
    return producer === null || consumer === null ? [] : [{ workers: row.workers, share: consumer / producer }]
  })
  if (shares.length === 0) return unmeasured(target, 'needs --backend pq or both')
  const measured = shares.map((s) => `${s.workers}w ${(s.share * 100).toFixed(0)}%`).join(', ')
  return check(
    target,
    measured,
    shares.every((s) => s.share >= TARGETS.keepUpShare),
  )
}

/** With --prefill: the prefilled series against the clean one, worker count by worker count. */
function prefillTargets(report: Report): TargetCheck[] {
  const prefilled = report.series.find((s) => s.key === 'pq-prefilled')
  if (!prefilled) return []
  const target = `${prefilled.label} holds within ${Math.round((1 - TARGETS.prefilledDrainShare) * 100)}% of pq on an empty table`
  const shares = report.rows.flatMap((row) => {
    const clean = median(row, 'pq', report.primary)
    const full = median(row, 'pq-prefilled', report.primary)
    return clean === null || full === null ? [] : [{ workers: row.workers, share: full / clean }]
  })
  if (shares.length === 0) return [unmeasured(target, 'needs --backend pq or both')]
  const measured = shares.map((s) => `${s.workers}w ${formatRatio(s.share)}`).join(', ')
  return [
    check(
      target,
      measured,
      shares.every((s) => s.share >= TARGETS.prefilledDrainShare),
    ),
  ]
}

const PEER_LABEL: Readonly<Record<string, string>> = { graphile: 'graphile-worker', limit: 'the minimal SQL loop', redis: 'BullMQ' }

/** pq's `metric` at least `factor` times `peer`'s, with 1 worker process (the only row of an enqueue table). */
function peerTarget(report: Report, metric: string, what: string, peer: string, factor: number): TargetCheck {
  const target = `pq ${what} ≥ ${factor}x ${PEER_LABEL[peer] ?? peer}`
  const row = report.rows.find((r) => r.workers <= 1)
  const pq = median(row, 'pq', metric)
  const other = median(row, peer, metric)
  if (pq === null || other === null || other === 0) return unmeasured(target, `needs --backend pq,${peer} and 1 worker process`)
  return check(target, formatRatio(pq / other), pq / other >= factor)
}

function peerDrainTargets(report: Report): TargetCheck[] {
  const what = `drains (concurrency ${report.concurrency})`
  return [
    peerTarget(report, 'drainRate', what, 'graphile', TARGETS.drainVsGraphile),
    peerTarget(report, 'drainRate', what, 'limit', TARGETS.drainVsLimit),
  ]
}

/** Wake-up: pq's p50 no more than 0.5 ms above the minimal loop's, same run. */
function wakeUpTarget(report: Report): TargetCheck {
  const target = `pq wake-up p50 ≤ the minimal SQL loop's + ${TARGETS.wakeUpOverLimitMs} ms`
  const pq = median(report.rows[0], 'pq', 'p50Ms')
  const limit = median(report.rows[0], 'limit', 'p50Ms')
  if (pq === null || limit === null) return unmeasured(target, 'needs --backend pq,limit')
  return check(target, `${formatMs(pq)} ms against ${formatMs(limit)} ms`, pq <= limit + TARGETS.wakeUpOverLimitMs)
}
