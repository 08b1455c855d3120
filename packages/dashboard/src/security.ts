import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import { InvalidOption } from '@pq/core'

/** Hosts that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'))
}

/**
 * Refuses to expose the dashboard beyond this machine without a token: its actions delete and
 * requeue jobs, and its pages show job arguments.
 */
export function checkExposure(host: string, authToken: string | undefined): void {
  if (!isLoopback(host) && !authToken) {
    throw new InvalidOption(
      'host',
      `refusing to listen on ${host}, reachable from other machines, without a token; pass --auth-token (or set PQ_DASHBOARD_TOKEN), or use --host 127.0.0.1`,
    )
  }
  if (authToken !== undefined && authToken.length < 16) {
    throw new InvalidOption(
      'authToken',
      `the dashboard token is ${authToken.length} characters long; use at least 16 (e.g. openssl rand -hex 16)`,
    )
  }
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The name of the cookie that carries the auth token after `?token=` was given once. */
export const TOKEN_COOKIE = 'pq_dashboard_token'

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return decodeURIComponent(v.join('='))
  }
  return undefined
}

/**
 * Without a token, only requests addressed to a loopback name are served. A page on another site
 * whose name an attacker re-points at 127.0.0.1 (DNS rebinding) would otherwise be same-origin with
 * the dashboard and could read it, CSRF token included; its requests carry that site's name as Host.
 */
export function hostAllowed(req: IncomingMessage, token: string | undefined): boolean {
  if (token !== undefined) return true
  const host = req.headers.host ?? ''
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!
  return isLoopback(name)
}

/** Whether a request carries the token: `Authorization: Bearer`, the cookie, or `?token=`. */
export function authorized(req: IncomingMessage, url: URL, token: string | undefined): boolean {
  if (token === undefined) return true
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
  const given = bearer ?? cookie(req, TOKEN_COOKIE) ?? url.searchParams.get('token') ?? ''
  return same(given, token)
}

/**
 * CSRF protection for the actions. Every form carries a token: an HMAC of a per-process secret (a
 * fixed `secret` lets several processes behind one address share it), so a page on another site
 * cannot know it. The browser's Origin (or, failing that, Referer) must also name this server.
 */
export class Csrf {
  readonly token: string

  constructor(secret: string | undefined, authToken: string | undefined) {
    const key = secret ?? randomBytes(32).toString('hex')
    this.token = createHmac('sha256', key)
      .update(`pq-dashboard-csrf:${authToken ?? ''}`)
      .digest('base64url')
  }

  /** Why a POST is refused, or undefined when it may proceed. */
  refusal(req: IncomingMessage, form: URLSearchParams): string | undefined {
    if (!same(form.get('csrf') ?? '', this.token)) return 'missing or wrong CSRF token'
    const origin = req.headers.origin ?? (req.headers.referer ? safeOrigin(req.headers.referer) : undefined)
    if (origin !== undefined && origin !== 'null') {
      const host = req.headers.host ?? ''
      if (origin !== `http://${host}` && origin !== `https://${host}`) return `cross-origin request from ${origin}`
    }
    if (origin === 'null') return 'opaque origin'
    return undefined
  }
}

function safeOrigin(referer: string): string | undefined {
  try {
    return new URL(referer).origin
  } catch {
    return 'null'
  }
}

/**
 * Where a form's `back` may send the browser: a path of this site only. Refused (giving '/'): other
 * origins (`//evil.example`, `/\evil.example`), any control character (browsers drop tabs and
 * newlines, so `/<TAB>/evil.example` would become `//evil.example`; a newline would also break the
 * Location header), and anything that resolves to another origin.
 */
export function sameOriginPath(back: string | null | undefined): string {
  if (typeof back !== 'string' || back.length > 2000) return '/'
  if (!/^\/(?![/\\])/.test(back) || /[\u0000-\u001f\u007f\\]/.test(back)) return '/'
  const base = 'http://pq.invalid'
  try {
    return new URL(back, base).origin === base ? back : '/'
  } catch {
    return '/'
  }
}
