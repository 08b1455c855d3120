import { describeCall, JOB_STATUSES, REQUEUE_STATUSES, WAITING_STATUSES, type JobData, type JobStatus } from '@pq/core'
import type { Schedule } from '@pq/core'
import type { QueueStats, StatsFlowRow } from '@pq/core/internal'
import { html, raw, type SafeHtml } from './html.js'
import { layout, actionButton, jobPath, ago, when, type PageContext } from './layout.js'

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

const COLUMNS: [string, JobStatus][] = [['Queued', 'queued'], ['Active', 'started'], ['Deferred', 'deferred'], ['Scheduled', 'scheduled'], ['Finished', 'finished'], ['Failed', 'failed']]
const queuePath = (name: string, status?: JobStatus, page?: number) =>
  `/queues/${encodeURIComponent(name)}${status ? `?status=${status}${page && page > 1 ? `&page=${page}` : ''}` : ''}`
const count = (s: QueueStats, status: JobStatus) => `${s.estimated.includes(status) ? '~' : ''}${s.counts[status].toLocaleString('en-US')}`

function workersTable(ctx: PageContext, workers: readonly WorkerView[], back: string): SafeHtml {
  if (!workers.length) return html`<p class="muted">No workers registered. Start one with <code>pq-worker</code>.</p>`
  return html`<table id="workers"><tr><th>Name</th><th>State</th><th>Queues</th><th>Current job</th><th>Heartbeat</th><th>Done / failed</th><th></th></tr>
${workers.map((w) => html`<tr data-worker="${w.name}"><td>${w.name}<div class="muted">${w.host} pid ${w.pid}</div></td>
<td>${w.live ? w.state : 'lost'}${w.stopRequested && w.state !== 'stopped' ? ' (stop asked)' : ''}</td>
<td>${w.queues.length ? w.queues.join(', ') : html`<span class="muted">every queue</span>`}</td>
<td>${w.currentJobs.length ? w.currentJobs.map((id, i) => html`${i ? ', ' : ''}<a href="${jobPath(id)}">${id}</a>`) : '-'}</td>
<td>${ago(w.heartbeatAt, ctx.now)}</td><td class="n">${w.successful} / ${w.failed}</td>
<td>${w.live && !w.stopRequested ? actionButton(ctx, `/workers/${encodeURIComponent(w.name)}/stop`, 'Stop', back, true) : ''}</td></tr>`)}</table>`
}

/** The front page: queues with their counts, the throughput chart, the workers. */
export function overviewPage(ctx: PageContext, data: { stats: QueueStats[]; chartSvg: string; minutes: number; workers: WorkerView[] }): string {
  const rows = data.stats.map((s) => html`<tr data-queue="${s.name}"><td><a href="${queuePath(s.name, 'queued')}">${s.name}</a></td>
${COLUMNS.map(([, status]) => html`<td class="n" data-status="${status}"><a href="${queuePath(s.name, status)}">${count(s, status)}</a></td>`)}
<td class="n">${s.workers}</td></tr>`)
  return layout(ctx, 'queues', html`<h1>Queues</h1>
<table id="queues"><tr><th>Name</th>${COLUMNS.map(([title]) => html`<th>${title}</th>`)}<th>Workers</th></tr>
${rows.length ? rows : html`<tr><td colspan="8" class="muted">No queues yet: nothing was ever enqueued.</td></tr>`}</table>
<p class="muted">Queued, active, deferred and scheduled are exact; finished and failed above 20,000 per queue are estimates (~).</p>
<h2>Throughput, last ${data.minutes} minutes</h2>
<p class="legend"><span style="color:#2e9d57">■ finished</span><span style="color:#d64545">■ failed</span></p>
${raw(data.chartSvg)}
<h2>Workers</h2>${workersTable(ctx, data.workers, '/')}`)
}

/** A queue's jobs in one status, newest first, a page at a time. */
export function queuePage(ctx: PageContext, data: { stats: QueueStats; status: JobStatus; page: number; perPage: number; jobs: JobData[] }): string {
  const { stats, status, page, perPage } = data
  const total = stats.counts[status]
  const pages = Math.max(1, Math.ceil(total / perPage))
  const back = queuePath(stats.name, status, page)
  const tabs = JOB_STATUSES.map((s) => html`<a class="${s === status ? 'on' : ''}" href="${queuePath(stats.name, s)}">${s} (${count(stats, s)})</a>`)
  const actions = (j: JobData) => [
    REQUEUE_STATUSES.includes(j.status) ? actionButton(ctx, `${jobPath(j.id)}/requeue`, 'Requeue', back) : '',
    WAITING_STATUSES.includes(j.status) ? actionButton(ctx, `${jobPath(j.id)}/cancel`, 'Cancel', back) : '',
    j.status === 'started' ? '' : actionButton(ctx, `${jobPath(j.id)}/delete`, 'Delete', back, true),
  ]
  const rows = data.jobs.map((j) => html`<tr data-job="${j.id}"><td><a href="${jobPath(j.id)}">${j.id}</a></td>
<td><code>${describeCall(j.func, j.args, j.kwargs)}</code></td><td class="st-${j.status}">${j.status}</td>
<td>${when(j.createdAt.toJSDate())}</td><td>${j.endedAt ? when(j.endedAt.toJSDate()) : '-'}</td><td>${actions(j)}</td></tr>`)
  return layout(ctx, `${stats.name} · ${status}`, html`<h1>Queue ${stats.name}: ${status}</h1>
<p class="tabs">${tabs}</p>
<table id="jobs"><tr><th>Id</th><th>Call</th><th>Status</th><th>Created</th><th>Ended</th><th></th></tr>
${rows.length ? rows : html`<tr><td colspan="6" class="muted">No ${status} jobs.</td></tr>`}</table>
<p>Page ${page} of ${pages}${page > 1 ? html` · <a href="${queuePath(stats.name, status, page - 1)}">newer</a>` : ''}${page < pages ? html` · <a href="${queuePath(stats.name, status, page + 1)}">older</a>` : ''}</p>`)
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2)

/** One job: call, arguments, result, error and stack, progress meta, timestamps, and its actions. */
export function jobPage(ctx: PageContext, j: JobData): string {
  const back = jobPath(j.id)
  // meta.progress is a fraction, 0 to 1 (the README's scale), shown as a percentage.
  const fraction = typeof j.meta.progress === 'number' && Number.isFinite(j.meta.progress) ? Math.min(1, Math.max(0, j.meta.progress)) : null
  const progress = fraction === null ? '' : html`<progress id="progress" max="1" value="${String(fraction)}"></progress> ${String(Math.round(fraction * 1000) / 10)}%`
  const row = (label: string, value: SafeHtml | string) => html`<tr><th>${label}</th><td>${value}</td></tr>`
  return layout(ctx, `job ${j.id}`, html`<h1>Job ${j.id}</h1>
<p>${REQUEUE_STATUSES.includes(j.status) ? actionButton(ctx, `${back}/requeue`, 'Requeue', back) : ''}
${WAITING_STATUSES.includes(j.status) ? actionButton(ctx, `${back}/cancel`, 'Cancel', back) : ''}
${j.status === 'started' ? '' : actionButton(ctx, `${back}/delete`, 'Delete', `/queues/${encodeURIComponent(j.origin)}?status=${j.status}`, true)}</p>
<table id="job">
${row('Status', html`<span id="status" class="st-${j.status}">${j.status}</span>`)}
${row('Queue', html`<a href="/queues/${encodeURIComponent(j.origin)}?status=${j.status}">${j.origin}</a>`)}
${row('Call', html`<code>${describeCall(j.func, j.args, j.kwargs)}</code>`)}
${row('Description', j.description ?? '-')}
${row('Args', html`<pre id="args">${pretty(j.args)}</pre>`)}
${row('Kwargs', html`<pre id="kwargs">${pretty(j.kwargs)}</pre>`)}
${row('Result', html`<pre id="result">${pretty(j.result)}</pre>`)}
${row('Error', j.excInfo ? html`<pre id="error">${j.excInfo}</pre>` : '-')}
${row('Meta', html`${progress}<pre id="meta">${pretty(j.meta)}</pre>`)}
${row('Attempts', `${j.attempts} (retries allowed: ${j.retry.max})`)}
${row('Worker', j.worker ?? '-')}
${row('Depends on', j.dependsOn.length ? html`${j.dependsOn.map((id, i) => html`${i ? ', ' : ''}<a href="${jobPath(id)}">${id}</a>`)}` : '-')}
${row('Created', when(j.createdAt.toJSDate()))}
${row('Enqueued', when(j.enqueuedAt?.toJSDate()))}
${row('Scheduled for', when(j.scheduledFor?.toJSDate()))}
${row('Started', when(j.startedAt?.toJSDate()))}
${row('Ended', when(j.endedAt?.toJSDate()))}
${row('Expires', when(j.expiresAt?.toJSDate()))}
${row('Flow', j.flowId ?? '-')}
${row('Schedule', j.scheduleId ?? '-')}
</table>`)
}

/** Every registered worker. */
export function workersPage(ctx: PageContext, workers: WorkerView[]): string {
  return layout(ctx, 'workers', html`<h1>Workers</h1>${workersTable(ctx, workers, '/workers')}`)
}

/** Flows, newest first, with their jobs' statuses. */
export function flowsPage(ctx: PageContext, flows: StatsFlowRow[], page: number, more: boolean): string {
  const rows = flows.map((f) => html`<tr><td>${f.id}</td><td>${f.name ?? '-'}</td><td>${f.queue}</td><td class="n">${f.job_count}</td>
<td>${Object.entries(f.statuses).map(([s, n]) => html`<span class="st-${s}">${s} ${n}</span> `)}</td><td>${when(f.created_at)}</td></tr>`)
  return layout(ctx, 'flows', html`<h1>Flows</h1><table id="flows"><tr><th>Id</th><th>Name</th><th>Queue</th><th>Jobs</th><th>Statuses</th><th>Created</th></tr>
${rows.length ? rows : html`<tr><td colspan="6" class="muted">No flows.</td></tr>`}</table>${pager('/flows', page, more)}`)
}

/** The options each run of a schedule gets, short: "timeout 600s (default), result 500s, failure 1y". */
export function runOptions(s: Schedule): string {
  const ttl = (n: number) => (n < 0 ? 'forever' : `${n}s`)
  const o = s.jobOptions
  return [
    o.timeout === null ? 'timeout worker default' : `timeout ${o.timeout}s`,
    `result ${ttl(o.resultTtl)}`, `failure ${ttl(o.failureTtl)}`,
    ...(o.ttl === null ? [] : [`ttl ${o.ttl}s`]), ...(o.retry.max ? [`retry ${o.retry.max}`] : []),
  ].join(', ')
}

/** Schedules by next run. */
export function schedulesPage(ctx: PageContext, schedules: Schedule[], page: number, more: boolean): string {
  const date = (d: { toJSDate(): Date } | null) => (d ? d.toJSDate() : null)
  const rows = schedules.map((s) => html`<tr><td>${s.id}</td><td>${s.queue}</td><td><code>${s.func}</code></td>
<td>${s.rule.cron ?? s.rule.interval ?? 'once'}</td><td>${s.canceledAt ? 'canceled' : when(date(s.nextRunAt))}</td><td class="n">${s.runsLeft === null ? '∞' : String(s.runsLeft)}</td>
<td class="n">${s.runCount}</td><td>${s.lastJobId ? html`<a href="${jobPath(s.lastJobId)}">${when(date(s.lastRunAt))}</a>` : '-'}</td><td>${runOptions(s)}</td></tr>`)
  return layout(ctx, 'schedules', html`<h1>Schedules</h1><table id="schedules"><tr><th>Id</th><th>Queue</th><th>Function</th><th>Rule</th><th>Next run</th><th>Runs left</th><th>Runs</th><th>Last run</th><th>Each run</th></tr>
${rows.length ? rows : html`<tr><td colspan="9" class="muted">No schedules.</td></tr>`}</table>${pager('/schedules', page, more)}`)
}

function pager(path: string, page: number, more: boolean): SafeHtml {
  return html`<p>Page ${page}${page > 1 ? html` · <a href="${path}?page=${page - 1}">previous</a>` : ''}${more ? html` · <a href="${path}?page=${page + 1}">next</a>` : ''}</p>`
}

/** A short page for errors and refusals (no refresh). */
export function messagePage(title: string, message: string): string {
  return layout({ csrf: '', refreshSeconds: 0, now: new Date() }, title, html`<h1>${title}</h1><p>${message}</p><p><a href="/">Back to the queues</a></p>`)
}
