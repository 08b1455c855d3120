import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { redactConnectionString } from '@pq/core/internal'

const PROBE_TIMEOUT_MS = 2000

/**
 * Redis could not be used: not running (nothing answered) or refusing the bench (an error reply, such
 * as a wrong password). pq-bench says so in one line and suggests `--backend pq`.
 */
export class RedisNotRunning extends Error {
  readonly code = 'REDIS_NOT_RUNNING'
  constructor(url: string, reason: string, answered = false) {
    const what = answered
      ? `Redis at ${redactConnectionString(url)} refused the bench (${reason})`
      : `Redis is not running at ${redactConnectionString(url)} (${reason})`
    super(`${what}; start it (e.g. docker compose up -d redis), set REDIS_URL, or use --backend pq`)
    this.name = 'RedisNotRunning'
  }
}

/**
 * Asks Redis for its version over one short-lived socket (AUTH first when the URL has a password),
 * so a missing Redis is reported at once, with the socket's own reason (ECONNREFUSED…), and nothing
 * is left retrying in the background. Throws RedisNotRunning.
 */
export async function probeRedis(url: string): Promise<string> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new RedisNotRunning(url, 'not a redis:// URL')
  }
  const port = Number(parsed.port || 6379)
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1'
  const commands: string[][] = []
  if (parsed.password)
    commands.push(
      parsed.username
        ? ['AUTH', decodeURIComponent(parsed.username), decodeURIComponent(parsed.password)]
        : ['AUTH', decodeURIComponent(parsed.password)],
    )
  commands.push(['INFO', 'server'])
  const reply = await new Promise<string>((resolve, reject) => {
    const socket: Socket = parsed.protocol === 'rediss:' ? tlsConnect({ host, port, servername: host }) : netConnect({ host, port })
    let data = ''
    const fail = (reason: string, answered = false): void => {
      socket.destroy()
      reject(new RedisNotRunning(url, reason, answered))
    }
    socket.setTimeout(PROBE_TIMEOUT_MS, () => fail(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`))
    socket.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message))
    socket.on('connect', () => socket.write(commands.map(encode).join('')))
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8')
      if (/^-/m.test(data))
        return fail(
          data
            .split('\r\n')
            .find((l) => l.startsWith('-'))!
            .slice(1),
          true,
        )
      const info = /\$(\d+)\r\n/.exec(data)
      if (info && data.length >= info.index + info[0].length + Number(info[1])) {
        socket.end()
        resolve(data)
      }
    })
    socket.on('close', () => reject(new RedisNotRunning(url, 'the connection closed')))
  })
  return /redis_version:(\S+)/.exec(reply)?.[1] ?? 'unknown'
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`
}
