import { describe, expect, it, jest } from '@jest/globals'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

// The real bins: yargs printing --help on its own as well as ours showed only outside captured io.
jest.setTimeout(120_000)
const version = (JSON.parse(readFileSync(new URL('../../core/package.json', import.meta.url), 'utf8')) as { version: string }).version

const BINS: [string, string][] = [
  ['pq-worker', 'packages/worker/bin/pq-worker.js'],
  ['pq-enqueue', 'packages/cli/bin/pq-enqueue.js'],
  ['pq-schedule', 'packages/cli/bin/pq-schedule.js'],
  ['pq-stats', 'packages/cli/bin/pq-stats.js'],
  ['pq-migrate', 'packages/cli/bin/pq-migrate.js'],
  ['pq-admin', 'packages/cli/bin/pq-admin.js'],
  ['pq-dashboard', 'packages/dashboard/bin/pq-dashboard.js'],
]

function runBin(file: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [file, ...args], {
    env: { ...process.env, DATABASE_URL: 'postgres://127.0.0.1:1/none' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString()
  })
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })))
}

describe('every CLI', () => {
  it.each(BINS)('%s prints --help once, exit 0', async (name, file) => {
    const { code, out, err } = await runBin(file, ['--help'])
    expect(code).toBe(0)
    expect(err).toBe('')
    const helpLines = out.split('\n').filter((l) => /--help\b/.test(l))
    expect(helpLines).toHaveLength(1)
    expect(out).toContain(name)
  })

  it.each(BINS)('%s prints its --version, exit 0', async (name, file) => {
    expect(await runBin(file, ['--version'])).toEqual({ code: 0, out: `${name} ${version}\n`, err: '' })
  })
})
