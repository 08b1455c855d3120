import { relativeTime } from '@pq/cli-kit'
import { html, type SafeHtml } from './html.js'

/** What every page needs besides its data. */
export interface PageContext {
  /** Where the dashboard is mounted ('' at the root, else e.g. '/admin/queues'): every link starts with it. */
  base: string
  csrf: string
  /** Seconds between automatic reloads; 0 never. */
  refreshSeconds: number
  now: Date
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 20px; align-items: baseline; }
header a { color: #cfe0ff; text-decoration: none; } header strong { font-size: 16px; }
main { padding: 16px 20px; } h1 { font-size: 20px; margin: 4px 0 12px; } h2 { font-size: 16px; margin: 20px 0 8px; }
table { border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px #0002; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e3e6eb; text-align: left; vertical-align: top; }
th { background: #eef0f4; font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #fff; border: 1px solid #e3e6eb; padding: 8px; white-space: pre-wrap; word-break: break-word; max-width: 1000px; margin: 0; }
form.inline { display: inline; } button { cursor: pointer; padding: 2px 8px; }
button.danger { color: #a11; } .muted { color: #777; } .tabs a { margin-right: 12px; } .tabs a.on { font-weight: 700; }
.st-failed { color: #b42318; font-weight: 600; } .st-finished { color: #1f7a3f; } .st-started { color: #1d5fbf; font-weight: 600; }
.chart { background: #fff; box-shadow: 0 1px 2px #0002; width: 100%; max-width: 1100px; height: auto; }
header form.search { margin-left: auto; } .warn { background: #fff4e5; border: 1px solid #f0b45a; padding: 6px 10px; max-width: 1000px; }
.paused { color: #a15c00; font-weight: 600; } a.id { font-family: ui-monospace, monospace; } .legend span { margin-right: 14px; }
footer { padding: 8px 20px; color: #777; font-size: 12px; }`

/** Wraps a page's body in the shared header, styles and automatic refresh. */
export function layout(ctx: PageContext, title: string, body: SafeHtml): string {
  const refresh = ctx.refreshSeconds > 0 ? html`<meta http-equiv="refresh" content="${ctx.refreshSeconds}">` : ''
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">${refresh}
<title>pq · ${title}</title><style>${STYLE}</style></head>
<body><header><strong>pq</strong><a href="${ctx.base}/">Queues</a><a href="${ctx.base}/workers">Workers</a><a href="${ctx.base}/flows">Flows</a><a href="${ctx.base}/schedules">Schedules</a>
<form class="search" method="get" action="${ctx.base}/search"><input name="q" placeholder="job id prefix or function" aria-label="search jobs"><button type="submit">Search</button></form></header>
<main>${body}</main>
<footer>Updated ${ctx.now.toISOString().slice(0, 19).replace('T', ' ')} UTC${ctx.refreshSeconds > 0 ? ` · refreshes every ${ctx.refreshSeconds} s` : ''}</footer>
</body></html>`.text
}

/**
 * A POST button for one action, carrying the CSRF token and where to come back to. `action` and
 * `back` are paths below the mount point. A danger button's first POST only shows a confirmation page.
 */
export function actionButton(ctx: PageContext, action: string, label: string, back: string, danger = false): SafeHtml {
  return html`<form class="inline" method="post" action="${ctx.base}${action}"><input type="hidden" name="csrf" value="${ctx.csrf}"><input type="hidden" name="back" value="${back}"><button type="submit"${danger ? html` class="danger"` : ''}>${label}</button></form>`
}

/** `/jobs/<id>`, with the id made safe for a path segment (below the mount point). */
export const jobPath = (id: string): string => `/jobs/${encodeURIComponent(id)}`

/** A job id cut to 8 characters for tables, linking to its page, the full id in its title. */
export const shortId = (ctx: PageContext, id: string): SafeHtml =>
  html`<a href="${ctx.base}${jobPath(id)}" title="${id}" class="id">${id.length > 10 ? `${id.slice(0, 8)}…` : id}</a>`

/** A duration in words: `350 ms`, `4.2 s`, `3 min 5 s`, `2 h 10 min`. */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-'
  const v = Math.max(0, ms)
  if (v < 1000) return `${Math.round(v)} ms`
  if (v < 60_000) return `${(v / 1000).toFixed(1)} s`
  if (v < 3_600_000) return `${Math.floor(v / 60_000)} min ${Math.round((v % 60_000) / 1000)} s`
  if (v < 86_400_000) return `${Math.floor(v / 3_600_000)} h ${Math.round((v % 3_600_000) / 60_000)} min`
  return `${Math.floor(v / 86_400_000)} d ${Math.round((v % 86_400_000) / 3_600_000)} h`
}

/** A relative time (`3 min. ago`, `in 2 hr.`) with the absolute UTC instant in its title. */
export function relative(then: Date | null | undefined, now: Date): SafeHtml {
  if (!then) return html`-`
  const d = new Date(then)
  return html`<time datetime="${d.toISOString()}" title="${when(d)} UTC">${relativeTime(d, now)}</time>`
}

/** An instant as `2026-01-02 03:04:05`, UTC. */
export const when = (d: Date | null | undefined): string => (d ? new Date(d).toISOString().slice(0, 19).replace('T', ' ') : '-')
