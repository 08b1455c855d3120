import { renderTable } from '@pq/cli-kit'
import { QUEUE_STATS_COLUMNS, type QueueStats, type RqQueueStats, type StatsTableHealthRow } from '@pq/core/internal'
import type { JobStatus } from '@pq/core'

const COLUMNS = QUEUE_STATS_COLUMNS

/**
 * rqstats' table: one row per queue. An estimated figure reads `~12,345` (see pq-stats --help for
 * which figures are exact).
 */
export function renderStatsTable(stats: readonly QueueStats[]): string {
  const label = (s: QueueStats) => (s.pausedAt ? `${s.name} (paused)` : s.name)
  const cell = (s: QueueStats, status: JobStatus) => `${s.estimated.includes(status) ? '~' : ''}${s.counts[status].toLocaleString('en-US')}`
  return `${renderTable(
    {
      header: ['Name', ...COLUMNS.map(([title]) => title), 'Workers'],
      rows: stats.map((s) => [label(s), ...COLUMNS.map(([, status]) => cell(s, status)), String(s.workers)]),
      align: ['left', ...COLUMNS.map(() => 'right' as const), 'right'],
      minWidths: [14, ...COLUMNS.map(() => 9), 9],
      empty: '(no queues yet: nothing was ever enqueued)',
    },
    'boxed',
  )}\n`
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

const lastTime = (manual: Date | null, auto: Date | null): string => {
  const m = manual ? new Date(manual).getTime() : -1
  const a = auto ? new Date(auto).getTime() : -1
  if (m < 0 && a < 0) return 'never'
  return a >= m ? `${new Date(a).toISOString().slice(0, 19)}Z (auto)` : `${new Date(m).toISOString().slice(0, 19)}Z (manual)`
}

/** Table health under the queue table: live/dead rows, last vacuum and analyze, the oldest transaction, warnings. */
export function renderHealth(h: { tables: StatsTableHealthRow[]; oldestXactSeconds: number | null }, warnings: readonly string[]): string {
  const rows = h.tables.map((t) => [
    t.table,
    t.live.toLocaleString('en-US'),
    t.dead.toLocaleString('en-US'),
    lastTime(t.last_vacuum, t.last_autovacuum),
    lastTime(t.last_analyze, t.last_autoanalyze),
  ])
  const header = ['Table', 'Live rows', 'Dead rows', 'Last vacuum', 'Last analyze']
  const xact = h.oldestXactSeconds === null ? 'none' : `${Math.round(h.oldestXactSeconds)} s`
  return (
    [
      '',
      renderTable({ header, rows }, 'plain'),
      `Oldest open transaction holding back vacuum: ${xact}`,
      ...warnings.map((w) => `warning: ${w}`),
    ].join('\n') + '\n'
  )
}
