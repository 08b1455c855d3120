/**
 * Start-up cost: the wall time of what a user's process pays before pq does anything, beside
 * `node -e "import('pg')"` measured in the same run (interleaved, so a busy machine slows every
 * series alike and the ratios stay comparable). Everything runs the built packages with plain
 * node, as an installed pq does: `pnpm bench:startup` builds first.
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const BENCH = join(dirname(fileURLToPath(import.meta.url)), '../..')
const ROOT = join(BENCH, '..')
const SCHEMA = 'pq_bench_startup'
/** Target: each command within this factor of importing pg. */
export const STARTUP_TARGET = 3

/** One measured command. */
export interface StartupCommand {
  name: string
  args: string[]
}

/** Median, min and max wall time of one command, and its median over pg's. */
export interface StartupFigure {
  name: string
  medianMs: number
  minMs: number
  maxMs: number
  ratio: number
}

export function startupCommands(databaseUrl: string): StartupCommand[] {
  const db = ['--database-url', databaseUrl, '--schema', SCHEMA]
  return [
    { name: `node -e "import('pg')"`, args: ['-e', "import('pg')"] },
    { name: `import '@pq/core'`, args: ['-e', "import('@pq/core')"] },
    {
      name: 'pq-enqueue (one job)',
      args: [join(ROOT, 'packages/cli/bin/pq-enqueue.js'), 'pq.utils.testJob', '--queue', 'startup-jobs', ...db],
    },
    {
      name: 'pq-worker --burst (empty queue)',
      args: [join(ROOT, 'packages/worker/bin/pq-worker.js'), 'startup-empty', '--burst', '--quiet', ...db],
    },
  ]
}

function timeOnce(command: StartupCommand): number {
  const start = process.hrtime.bigint()
  const res = spawnSync(process.execPath, command.args, {
    cwd: BENCH,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (res.status !== 0) throw new Error(`${command.name} exited ${res.status}: ${(res.stderr || res.stdout).split('\n')[0]}`)
  return ms
}

/** Migrates the schema once, then times every command `runs` times, interleaved. */
export function measureStartup(databaseUrl: string, runs: number): StartupFigure[] {
  timeOnce({ name: 'pq-migrate', args: [join(ROOT, 'packages/cli/bin/pq-migrate.js'), '--database-url', databaseUrl, '--schema', SCHEMA] })
  const commands = startupCommands(databaseUrl)
  for (const c of commands) timeOnce(c) // warm the file cache
  const times = commands.map(() => [] as number[])
  for (let i = 0; i < runs; i++) commands.forEach((c, k) => times[k]!.push(timeOnce(c)))
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const pg = median(times[0]!)
  return commands.map((c, k) => ({
    name: c.name,
    medianMs: median(times[k]!),
    minMs: Math.min(...times[k]!),
    maxMs: Math.max(...times[k]!),
    ratio: median(times[k]!) / pg,
  }))
}

/** The figures as a text table, with the target verdict per command. */
export function startupTable(figures: readonly StartupFigure[]): string {
  const rows = figures.map((f, i) => [
    f.name,
    f.medianMs.toFixed(0),
    `${f.minMs.toFixed(0)}–${f.maxMs.toFixed(0)}`,
    i === 0 ? '1.00x' : `${f.ratio.toFixed(2)}x`,
    i === 0 ? 'baseline' : f.ratio <= STARTUP_TARGET ? `met (≤ ${STARTUP_TARGET}x)` : `missed (> ${STARTUP_TARGET}x)`,
  ])
  const head = ['command', 'median ms', 'min–max', 'vs pg', 'target']
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
  const line = (r: string[]) => `| ${r.map((v, c) => v.padEnd(widths[c]!)).join(' | ')} |`
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')
}
