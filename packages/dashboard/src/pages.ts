import { describeCall, JOB_STATUSES, ATTEMPT_HISTORY_SIZE, Schedule, describeRule, type JobData, type JobStatus } from '@pq/core'
import {
  QUEUE_STATS_COLUMNS,
  type QueueStats,
  type FlowListRow,
  type ScheduleRow,
  type FlowRow,
  type StatsTableHealthRow,
} from '@pq/core/internal'
import { html, raw, type SafeHtml } from './html.js'
import { layout, actionButton, jobPath, shortId, relative, duration, when, type PageContext } from './layout.js'

/** A worker as the pages show it. */
export interface WorkerView {
  name: string
  host: string
  pid: number
  state: string
  live: boolean
  queues: string[]
  currentJobs: string[]
  heartbeatAt: Date
  stopRequested: boolean
  successful: number
  failed: number
}

/** Table health as the overview shows it. */
export interface HealthView {
  tables: StatsTableHealthRow[]
  oldestXactSeconds: number | null
  warnings: string[]
}

const COLUMNS = QUEUE_STATS_COLUMNS
/** A queue's page, below the mount point. */
export const queuePath = (name: string, status?: JobStatus, page?: number) =>
  `/queues/${encodeURIComponent(name)}${status ? `?status=${status}${page && page > 1 ? `&page=${page}` : ''}` : ''}`
const count = (s: QueueStats, status: JobStatus) => `${s.estimated.includes(status) ? '~' : ''}${s.counts[status].toLocaleString('en-US')}`
const flowPath = (id: string) => `/flows/${encodeURIComponent(id)}`
const ms = (a: { toMillis(): number } | null | undefined, b: { toMillis(): number } | null | undefined) =>
  a && b ? b.toMillis() - a.toMillis() : null

/** How long a job waited (queued to started, or till now) and ran (started to ended, or till now). */
export function waitedAndRan(j: JobData, now: Date): { waited: number | null; ran: number | null } {
  const nowMs = { toMillis: () => now.getTime() }
  return {
    waited: j.enqueuedAt ? ms(j.enqueuedAt, j.startedAt ?? (j.status === 'queued' ? nowMs : null)) : null,
    ran: j.startedAt ? ms(j.startedAt, j.endedAt ?? (j.status === 'started' ? nowMs : null)) : null,
  }
}

function workersTable(ctx: PageContext, workers: readonly WorkerView[], back: string): SafeHtml {
  if (!workers.length) return html`<p class="muted">No workers registered. Start one with <code>pq-worker</code>.</p>`
  return html`<table id="workers"><tr><th>Name</th><th>State</th><th>Queues</th><th>Current job</th><th>Heartbeat</th><th>Done / failed</th><th></th></tr>
${workers.map(
  (w) => html`<tr data-worker="${w.name}"><td>${w.name}<div class="muted">${w.host} pid ${w.pid}</div></td>
<td>${w.live ? w.state : 'lost'}${w.stopRequested && w.state !== 'stopped' ? ' (stop asked)' : ''}</td>
<td>${w.queues.length ? w.queues.join(', ') : html`<span class="muted">every queue</span>`}</td>
<td>${w.currentJobs.length ? w.currentJobs.map((id, i) => html`${i ? ', ' : ''}${shortId(ctx, id)}`) : '-'}</td>
<td>${relative(w.heartbeatAt, ctx.now)}</td><td class="n">${w.successful} / ${w.failed}</td>
<td>${w.live && !w.stopRequested ? actionButton(ctx, `/workers/${encodeURIComponent(w.name)}/stop`, 'Stop', back, true) : ''}</td></tr>`,
)}</table>`
}

function healthSection(h: HealthView, now: Date): SafeHtml {
  const last = (manual: Date | null, auto: Date | null) => {
    const m = manual ? new Date(manual).getTime() : -1
    const a = auto ? new Date(auto).getTime() : -1
    if (m < 0 && a < 0) return html`<span class="muted">never</span>`
    return a >= m ? html`${relative(auto, now)} (auto)` : html`${relative(manual, now)} (manual)`
  }
  return html`<h2>Table health</h2>
${h.warnings.map((w) => html`<p class="warn">${w}</p>`)}
<table id="health"><tr><th>Table</th><th>Live rows</th><th>Dead rows</th><th>Last vacuum</th><th>Last analyze</th></tr>
${h.tables.map(
  (
    t,
  ) => html`<tr data-table="${t.table}"><td>${t.table}</td><td class="n">${t.live.toLocaleString('en-US')}</td><td class="n">${t.dead.toLocaleString('en-US')}</td>
<td>${last(t.last_vacuum, t.last_autovacuum)}</td><td>${last(t.last_analyze, t.last_autoanalyze)}</td></tr>`,
)}</table>
<p class="muted">Oldest open transaction holding back vacuum: ${h.oldestXactSeconds === null ? 'none' : duration(h.oldestXactSeconds * 1000)}.</p>`
}

/** The front page: queues with their counts, the throughput chart, the workers, table health. */
export function overviewPage(
  ctx: PageContext,
  data: { stats: QueueStats[]; chartSvg: string; minutes: number; workers: WorkerView[]; health: HealthView },
): string {
  const rows = data.stats.map(
    (
      s,
    ) => html`<tr data-queue="${s.name}"><td><a href="${ctx.base}${queuePath(s.name, 'queued')}">${s.name}</a>${s.pausedAt ? html` <span class="paused">paused</span>` : ''}</td>
${COLUMNS.map(([, status]) => html`<td class="n" data-status="${status}">${s.counts[status] === 0 ? '0' : html`<a href="${ctx.base}${queuePath(s.name, status)}">${count(s, status)}</a>`}</td>`)}
<td class="n">${s.workers}</td><td>${s.oldestQueuedAt ? relative(s.oldestQueuedAt.toJSDate(), ctx.now) : '-'}</td></tr>`,
  )
  const windows = [15, 60, 360, 1440].map(
    (m) => html`<a class="${m === data.minutes ? 'on' : ''}" href="${ctx.base}/?minutes=${m}">${m < 60 ? `${m} min` : `${m / 60} h`}</a>`,
  )
  return layout(
    ctx,
    'queues',
    html`<h1>Queues</h1>
<table id="queues"><tr><th>Name</th>${COLUMNS.map(([title]) => html`<th>${title}</th>`)}<th>Workers</th><th>Oldest queued</th></tr>
${rows.length ? rows : html`<tr><td colspan="9" class="muted">No queues yet: nothing was ever enqueued.</td></tr>`}</table>
<p class="muted">Queued, active, deferred and scheduled are exact; finished and failed above 20,000 per queue are estimates (~).</p>
<h2>Throughput, last ${data.minutes < 60 ? `${data.minutes} minutes` : `${data.minutes / 60} hours`}</h2>
<p class="tabs">${windows}</p>
<p class="legend"><span style="color:#2e9d57">■ finished</span><span style="color:#d64545">■ failed</span></p>
${raw(data.chartSvg)}
<h2>Workers</h2>${workersTable(ctx, data.workers, '/')}
${healthSection(data.health, ctx.now)}`,
  )
}

function jobActions(ctx: PageContext, j: JobData, back: string, deleteBack = back): SafeHtml {
  return html`${['failed', 'stopped', 'canceled'].includes(j.status) ? actionButton(ctx, `${jobPath(j.id)}/requeue`, 'Requeue', back) : ''}
${['queued', 'deferred', 'scheduled'].includes(j.status) ? actionButton(ctx, `${jobPath(j.id)}/cancel`, 'Cancel', back) : ''}
${j.status === 'started' ? html`<span class="muted" title="stop its worker first">running</span>` : actionButton(ctx, `${jobPath(j.id)}/delete`, 'Delete', deleteBack, true)}`
}

function jobsTable(ctx: PageContext, jobs: JobData[], back: string, empty: string, withQueue = false): SafeHtml {
  const rows = jobs.map((j) => {
    const { waited, ran } = waitedAndRan(j, ctx.now)
    return html`<tr data-job="${j.id}"><td>${shortId(ctx, j.id)}</td>${withQueue ? html`<td>${j.origin}</td>` : ''}
<td><code>${describeCall(j.func, j.args, j.kwargs)}</code></td><td class="st-${j.status}">${j.status}</td><td class="n">${String(j.priority)}</td>
<td>${relative(j.createdAt.toJSDate(), ctx.now)}</td><td class="n">${duration(waited)}</td><td class="n">${duration(ran)}</td><td>${jobActions(ctx, j, back)}</td></tr>`
  })
  return html`<table id="jobs"><tr><th>Id</th>${withQueue ? html`<th>Queue</th>` : ''}<th>Call</th><th>Status</th><th title="lower runs first">Priority</th><th>Created</th><th>Waited</th><th>Ran</th><th></th></tr>
${rows.length ? rows : html`<tr><td colspan="${withQueue ? 9 : 8}" class="muted">${empty}</td></tr>`}</table>`
}

/** A queue's jobs in one status, newest first, a page at a time, with the queue's own actions. */
export function queuePage(
  ctx: PageContext,
  data: { stats: QueueStats; status: JobStatus; page: number; perPage: number; jobs: JobData[] },
): string {
  const { stats, status, page, perPage } = data
  const total = stats.counts[status]
  const pages = Math.max(1, Math.ceil(total / perPage))
  const back = queuePath(stats.name, status, page)
  const q = `/queues/${encodeURIComponent(stats.name)}`
  const tabs = JOB_STATUSES.map(
    (s) => html`<a class="${s === status ? 'on' : ''}" href="${ctx.base}${queuePath(stats.name, s)}">${s} (${count(stats, s)})</a>`,
  )
  const waiting = stats.counts.queued + stats.counts.deferred + stats.counts.scheduled
  // A div, not a p: a form inside a p closes it, and the buttons would fall outside.
  const actions = html`<div id="queue-actions">${
    stats.pausedAt
      ? html`<span class="paused">Paused ${relative(stats.pausedAt.toJSDate(), ctx.now)}: jobs are accepted, no worker takes them.</span> ${actionButton(ctx, `${q}/resume`, 'Resume', back)}`
      : actionButton(ctx, `${q}/pause`, 'Pause', back)
  }
${stats.counts.failed > 0 ? html`${actionButton(ctx, `${q}/retry-failed`, `Retry all ${count(stats, 'failed')} failed`, back)} ${actionButton(ctx, `${q}/delete-failed`, 'Delete all failed', back, true)}` : ''}
${waiting > 0 ? actionButton(ctx, `${q}/empty`, `Empty (delete ${waiting} waiting)`, back, true) : ''}</div>`
  return layout(
    ctx,
    `${stats.name} · ${status}`,
    html`<h1>Queue ${stats.name}: ${status}</h1>
${actions}
<p class="tabs">${tabs}</p>
${jobsTable(ctx, data.jobs, back, `No ${status} jobs.`)}
<p>Page ${page} of ${pages}${page > 1 ? html` · <a href="${ctx.base}${queuePath(stats.name, status, page - 1)}">newer</a>` : ''}${page < pages ? html` · <a href="${ctx.base}${queuePath(stats.name, status, page + 1)}">older</a>` : ''}</p>`,
  )
}

/** Jobs matching a search (id prefix or function). */
export function searchPage(ctx: PageContext, text: string, jobs: JobData[]): string {
  return layout(
    ctx,
    `search ${text}`,
    html`<h1>Jobs matching “${text}”</h1>
<p class="muted">Ids starting with it, and functions named or starting with it; newest first, at most 50.</p>
${jobsTable(ctx, jobs, `/search?q=${encodeURIComponent(text)}`, 'No job matches.', true)}`,
  )
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2)

/** One job: call, arguments, result, error and stack, attempts, progress meta, timestamps, and its actions. */
export function jobPage(ctx: PageContext, j: JobData): string {
  const back = jobPath(j.id)
  // meta.progress is a fraction, 0 to 1 (the README's scale), shown as a percentage.
  const fraction =
    typeof j.meta.progress === 'number' && Number.isFinite(j.meta.progress) ? Math.min(1, Math.max(0, j.meta.progress)) : null
  const progress =
    fraction === null
      ? ''
      : html`<progress id="progress" max="1" value="${String(fraction)}"></progress> ${String(Math.round(fraction * 1000) / 10)}%`
  const row = (label: string, value: SafeHtml | string) => html`<tr><th>${label}</th><td>${value}</td></tr>`
  const at = (d: { toJSDate(): Date } | null) => (d ? html`${when(d.toJSDate())} UTC (${relative(d.toJSDate(), ctx.now)})` : '-')
  const { waited, ran } = waitedAndRan(j, ctx.now)
  const attempts = j.attemptHistory.length
    ? html`<h2>Failed attempts</h2><p class="muted">The last ${ATTEMPT_HISTORY_SIZE} are kept.</p>
<table id="attempts"><tr><th>#</th><th>When</th><th>Worker</th><th>Error</th></tr>
${j.attemptHistory.map(
  (
    a,
  ) => html`<tr data-attempt="${a.attempt}"><td class="n">${a.attempt}</td><td>${relative(a.at.toJSDate(), ctx.now)}</td><td>${a.worker ?? '-'}</td>
<td><strong>${a.errorClass ?? 'thrown value'}</strong>: ${a.message ?? ''}${a.stack ? html`<details><summary>stack</summary><pre>${a.stack}</pre></details>` : ''}</td></tr>`,
)}</table>`
    : ''
  return layout(
    ctx,
    `job ${j.id}`,
    html`<h1>Job <span id="job-id">${j.id}</span></h1>
<div id="job-actions">${jobActions(ctx, j, back, queuePath(j.origin, j.status))}</div>
<table id="job">
${row('Status', html`<span id="status" class="st-${j.status}">${j.status}</span>`)}
${row('Queue', html`<a href="${ctx.base}${queuePath(j.origin, j.status)}">${j.origin}</a>`)}
${row('Priority', html`<span id="priority">${String(j.priority)}</span> <span class="muted">(lower runs first)</span>`)}
${row('Call', html`<code>${describeCall(j.func, j.args, j.kwargs)}</code>`)}
${row('Description', j.description ?? '-')}
${row('Args', html`<pre id="args">${pretty(j.args)}</pre>`)}
${row('Kwargs', html`<pre id="kwargs">${pretty(j.kwargs)}</pre>`)}
${row('Result', html`<pre id="result">${pretty(j.result)}</pre>`)}
${row('Error', j.excInfo ? html`<pre id="error">${j.excInfo}</pre>` : '-')}
${row('Meta', html`${progress}<pre id="meta">${pretty(j.meta)}</pre>`)}
${row('Attempts', `${j.attempts} (retries allowed: ${j.retry.max})`)}
${row('Waited', html`<span id="waited">${duration(waited)}</span>`)}
${row('Ran', html`<span id="ran">${duration(ran)}</span>`)}
${row('Worker', j.worker ?? '-')}
${row('Depends on', j.dependsOn.length ? html`${j.dependsOn.map((id, i) => html`${i ? ', ' : ''}<a href="${ctx.base}${jobPath(id)}">${id}</a>`)}` : '-')}
${row('Created', at(j.createdAt))}
${row('Enqueued', at(j.enqueuedAt))}
${row('Scheduled for', at(j.scheduledFor))}
${row('Started', at(j.startedAt))}
${row('Ended', at(j.endedAt))}
${row('Expires', at(j.expiresAt))}
${row('Flow', j.flowId ? html`<a href="${ctx.base}${flowPath(j.flowId)}">${j.flowId}</a>` : '-')}
${row('Schedule', j.scheduleId ?? '-')}
</table>${attempts}`,
  )
}

/** Every registered worker. */
export function workersPage(ctx: PageContext, workers: WorkerView[]): string {
  return layout(ctx, 'workers', html`<h1>Workers</h1>${workersTable(ctx, workers, '/workers')}`)
}

/** Flows, newest first, with their jobs' statuses. */
export function flowsPage(ctx: PageContext, flows: FlowListRow[], page: number, more: boolean): string {
  const rows = flows.map(
    (
      f,
    ) => html`<tr data-flow="${f.id}"><td><a href="${ctx.base}${flowPath(f.id)}">${f.id}</a></td><td>${f.name ?? '-'}</td><td>${f.queue}</td><td class="n">${f.job_count}</td>
<td>${Object.entries(f.statuses).map(([s, n]) => html`<span class="st-${s}">${s} ${n}</span> `)}</td><td>${relative(f.created_at, ctx.now)}</td></tr>`,
  )
  return layout(
    ctx,
    'flows',
    html`<h1>Flows</h1><table id="flows"><tr><th>Id</th><th>Name</th><th>Queue</th><th>Jobs</th><th>Statuses</th><th>Created</th></tr>
${rows.length ? rows : html`<tr><td colspan="6" class="muted">No flows.</td></tr>`}</table>${pager(ctx, '/flows', page, more)}`,
  )
}

/** One flow: its steps in order, each with its status (a swept step shows as gone). */
export function flowPage(ctx: PageContext, flow: FlowRow, steps: Map<string, JobData>): string {
  const rows = flow.job_ids.map((id, i) => {
    const j = steps.get(id)
    if (!j)
      return html`<tr data-step="${i + 1}"><td class="n">${i + 1}</td><td>${id}</td><td colspan="4" class="muted">gone (finished and swept, or deleted)</td></tr>`
    const { waited, ran } = waitedAndRan(j, ctx.now)
    return html`<tr data-step="${i + 1}" data-job="${j.id}"><td class="n">${i + 1}</td><td>${shortId(ctx, j.id)}</td><td><code>${describeCall(j.func, j.args, j.kwargs)}</code></td>
<td class="st-${j.status}">${j.status}</td><td class="n">${duration(waited)}</td><td class="n">${duration(ran)}</td></tr>`
  })
  return layout(
    ctx,
    `flow ${flow.id}`,
    html`<h1>Flow ${flow.name ?? ''} <span class="muted">${flow.id}</span></h1>
<p>Queue <a href="${ctx.base}${queuePath(flow.queue, 'queued')}">${flow.queue}</a>, created ${relative(flow.created_at, ctx.now)}.</p>
<table id="steps"><tr><th>Step</th><th>Job</th><th>Call</th><th>Status</th><th>Waited</th><th>Ran</th></tr>${rows}</table>`,
  )
}

/**
 * Runs a schedule still has, from core's count (repeat and until alike); "until DATE" when the rule
 * is too long to count, ∞ for one that never ends.
 */
export function scheduleRunsLeft(s: Schedule): string {
  if (s.canceledAt || s.nextRunAt === null) return '0'
  if (s.runsLeft !== null) return String(s.runsLeft)
  return s.rule.until ? `until ${when(s.rule.until.toJSDate())}` : '∞'
}

/** The options each run of a schedule gets, short: "timeout 600s (default), result 500s, failure 1y". */
export function runOptions(s: Schedule): string {
  const ttl = (n: number) => (n < 0 ? 'forever' : `${n}s`)
  const o = s.jobOptions
  return [
    o.timeout === null ? 'timeout worker default' : `timeout ${o.timeout}s`,
    `result ${ttl(o.resultTtl)}`,
    `failure ${ttl(o.failureTtl)}`,
    ...(o.ttl === null ? [] : [`ttl ${o.ttl}s`]),
    ...(o.retry.max ? [`retry ${o.retry.max}`] : []),
  ].join(', ')
}

/** Schedules by next run, with their rule in words, the options each run gets, and a Cancel button. */
export function schedulesPage(ctx: PageContext, rows: ScheduleRow[], page: number, more: boolean): string {
  const items = rows.map((row) => ({ row, schedule: new Schedule(row) }))
  const trs = items.map(
    ({ row: s, schedule }) => html`<tr data-schedule="${s.id}"><td>${s.id}</td><td>${s.queue}</td><td><code>${s.func}</code></td>
<td class="rule">${describeRule(schedule.rule)}</td><td>${s.canceled_at ? 'canceled' : s.next_run_at ? relative(s.next_run_at, ctx.now) : 'done'}</td><td class="n">${scheduleRunsLeft(schedule)}</td>
<td class="n">${s.run_count}</td><td>${s.last_job_id ? html`<a href="${ctx.base}${jobPath(s.last_job_id)}">${relative(s.last_run_at, ctx.now)}</a>` : '-'}</td><td>${runOptions(schedule)}</td>
<td>${!s.canceled_at && s.next_run_at ? actionButton(ctx, `/schedules/${encodeURIComponent(s.id)}/cancel`, 'Cancel', '/schedules', true) : ''}</td></tr>`,
  )
  return layout(
    ctx,
    'schedules',
    html`<h1>Schedules</h1><table id="schedules"><tr><th>Id</th><th>Queue</th><th>Function</th><th>Rule</th><th>Next run</th><th>Runs left</th><th>Runs</th><th>Last run</th><th>Each run</th><th></th></tr>
${trs.length ? trs : html`<tr><td colspan="10" class="muted">No schedules.</td></tr>`}</table>${pager(ctx, '/schedules', page, more)}`,
  )
}

function pager(ctx: PageContext, path: string, page: number, more: boolean): SafeHtml {
  return html`<p>Page ${page}${page > 1 ? html` · <a href="${ctx.base}${path}?page=${page - 1}">previous</a>` : ''}${more ? html` · <a href="${ctx.base}${path}?page=${page + 1}">next</a>` : ''}</p>`
}

/**
 * The confirmation a destructive action shows first (the pages run no script, so no dialog): the
 * same form again, marked confirmed, and a way back.
 */
export function confirmPage(ctx: PageContext, data: { action: string; what: string; back: string }): string {
  return layout(
    { ...ctx, refreshSeconds: 0 },
    'confirm',
    html`<h1>Are you sure?</h1><p id="confirm-what">${data.what}</p>
<form method="post" action="${ctx.base}${data.action}"><input type="hidden" name="csrf" value="${ctx.csrf}"><input type="hidden" name="back" value="${data.back}">
<input type="hidden" name="confirmed" value="yes"><button type="submit" class="danger">Yes, do it</button> <a href="${ctx.base}${data.back}">No, go back</a></form>`,
  )
}

/** A short page for errors and refusals (no refresh). */
export function messagePage(title: string, message: string, base = ''): string {
  return layout(
    { base, csrf: '', refreshSeconds: 0, now: new Date() },
    title,
    html`<h1>${title}</h1><p>${message}</p><p><a href="${base}/">Back to the queues</a></p>`,
  )
}
