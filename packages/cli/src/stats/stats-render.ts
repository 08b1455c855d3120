import type { QueueStats, RqQueueStats } from '@pq/core/internal'

const COLUMNS = [
  ['Queued', 'queued'], ['Active', 'started'], ['Deferred', 'deferred'], ['Scheduled', 'scheduled'],
  ['Finished', 'finished'], ['Failed', 'failed'],
] as const

/**
 * rqstats' table: one row per queue. An estimated figure reads `~12,345` (see pq-stats --help for
 * which figures are exact).
 */
export function renderStatsTable(stats: readonly QueueStats[]): string {
  const label = (s: QueueStats) => (s.pausedAt ? `${s.name} (paused)` : s.name)
  const nameWidth = Math.max(14, ...stats.map((s) => label(s).length))
  const cell = (s: QueueStats, status: (typeof COLUMNS)[number][1]) =>
    `${s.estimated.includes(status) ? '~' : ''}${s.counts[status].toLocaleString('en-US')}`
  const widths = COLUMNS.map(([title, status]) => Math.max(9, title.length, ...stats.map((s) => cell(s, status).length)))
  const workersWidth = Math.max(9, ...stats.map((s) => String(s.workers).length))
  const line = (name: string, values: string[], workers: string) =>
    `| ${name.padEnd(nameWidth)} |${values.map((v, i) => ` ${v.padStart(widths[i]!)} |`).join('')} ${workers.padStart(workersWidth)} |`
  const header = line('Name', COLUMNS.map(([title]) => title), 'Workers')
  const rule = '-'.repeat(header.length)
  const body = stats.length === 0
    ? [`| ${'(no queues yet: nothing was ever enqueued)'.padEnd(header.length - 4)} |`]
    : stats.map((s) => line(label(s), COLUMNS.map(([, status]) => cell(s, status)), String(s.workers)))
  return [rule, header, rule, ...body, rule].join('\n') + '\n'
}

/**
 * rqstats' `--yaml`: the same document as `--json`. Every scalar is written as JSON, which YAML reads
 * as the same value (double-quoted strings, flow sequences), so no YAML library is needed.
 */
export function renderStatsYaml(doc: { queues: RqQueueStats[] }): string {
  if (doc.queues.length === 0) return 'queues: []\n'
  const lines = ['queues:']
  for (const queue of doc.queues) {
    Object.entries(queue).forEach(([key, value], i) => {
      lines.push(`${i === 0 ? '  - ' : '    '}${key}: ${JSON.stringify(value)}`)
    })
  }
  return lines.join('\n') + '\n'
}
