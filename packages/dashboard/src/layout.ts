import { html, type SafeHtml } from './html.js'

/** What every page needs besides its data. */
export interface PageContext {
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
.chart { background: #fff; box-shadow: 0 1px 2px #0002; } .legend span { margin-right: 14px; }
footer { padding: 8px 20px; color: #777; font-size: 12px; }`

/** Wraps a page's body in the shared header, styles and automatic refresh. */
export function layout(ctx: PageContext, title: string, body: SafeHtml): string {
  const refresh = ctx.refreshSeconds > 0 ? html`<meta http-equiv="refresh" content="${ctx.refreshSeconds}">` : ''
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">${refresh}
<title>pq · ${title}</title><style>${STYLE}</style></head>
<body><header><strong>pq</strong><a href="/">Queues</a><a href="/workers">Workers</a><a href="/flows">Flows</a><a href="/schedules">Schedules</a></header>
<main>${body}</main>
<footer>Updated ${ctx.now.toISOString().slice(0, 19).replace('T', ' ')} UTC${ctx.refreshSeconds > 0 ? ` · refreshes every ${ctx.refreshSeconds} s` : ''}</footer>
</body></html>`.text
}

/** A POST button for one action, carrying the CSRF token and where to come back to. */
export function actionButton(ctx: PageContext, action: string, label: string, back: string, danger = false): SafeHtml {
  return html`<form class="inline" method="post" action="${action}"><input type="hidden" name="csrf" value="${ctx.csrf}"><input type="hidden" name="back" value="${back}"><button type="submit"${danger ? html` class="danger"` : ''}>${label}</button></form>`
}

/** `/jobs/<id>`, with the id made safe for a path segment. */
export const jobPath = (id: string): string => `/jobs/${encodeURIComponent(id)}`

/** How long ago, as `4s`, `3m`, `2h`. */
export function ago(then: Date | null, now: Date): string {
  if (!then) return '-'
  const s = Math.max(0, Math.round((now.getTime() - new Date(then).getTime()) / 1000))
  if (s < 120) return `${s}s ago`
  if (s < 7200) return `${Math.round(s / 60)}m ago`
  return `${Math.round(s / 3600)}h ago`
}

/** An instant as `2026-01-02 03:04:05`, UTC. */
export const when = (d: Date | null | undefined): string => (d ? new Date(d).toISOString().slice(0, 19).replace('T', ' ') : '-')
