/**
 * The consumer test: what a user gets. Packs every package (pnpm pack, as for publishing), installs
 * the tarballs with npm into a throwaway project outside the workspace (no links, engine-strict),
 * and there, with plain node and no TypeScript loader: an ESM app enqueues in its own transaction
 * and pq-worker --burst runs its .mjs task, a CommonJS app enqueues, a TypeScript app type-checks
 * under nodenext and bundler (skipLibCheck off) and a deliberate argument mistake fails to compile.
 * Then tsx is added and the same worker runs a .ts task.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { REPO_ROOT, useTestDatabase } from '@pq/core/testing'
import { packAll, PACKAGES } from '../pack-all.mjs'

const db = useTestDatabase()
const run = promisify(execFile)
const MINUTE = 60_000

let work: string
let app: string

/** Runs a command in the app with a clean environment: no NODE_OPTIONS, no loader, no PQ_* settings. */
async function sh(
  cmd: string,
  args: string[],
  options: { cwd?: string; allowFail?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url, npm_config_update_notifier: 'false' }
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd: options.cwd ?? app, env, maxBuffer: 32 * 1024 * 1024 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string }
    if (!options.allowFail) throw new Error(`${cmd} ${args.join(' ')} failed (${e.code}):\n${e.stdout}\n${e.stderr}`, { cause: err })
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

const node = (...args: string[]) => sh(process.execPath, args)
const bin = (name: string, ...args: string[]) => sh(join(app, 'node_modules/.bin', name), args)
const jobs = async (...ids: string[]) =>
  JSON.parse((await node('show.mjs', ...ids)).stdout) as Record<string, { status: string; result: unknown; excInfo: string | null } | null>

/** An output whose source no longer exists. */
const STALE_OUTPUT = 'packages/core/dist/module-renamed-away.js'

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pq-consumer-'))
  // A module renamed since the last build leaves its old output in dist/ (tsc -b never deletes):
  // prepack must leave it out of the tarball.
  mkdirSync(join(REPO_ROOT, 'packages/core/dist'), { recursive: true })
  writeFileSync(join(REPO_ROOT, STALE_OUTPUT), 'export const renamedAway = true\n')
  // One after another: each prepack runs tsc -b, which is incremental and shares outputs.
  const tarballs = packAll(join(work, 'packs'))
  app = join(work, 'app')
  cpSync(join(REPO_ROOT, 'scripts/consumer/app'), app, { recursive: true })
  await sh('npm', [
    'install',
    '--engine-strict',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    ...tarballs,
    'typescript@~5.9.3',
    '@types/node@^20.19.0',
  ])
}, 8 * MINUTE)

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('pq installed from its tarballs into an application outside the workspace', () => {
  it('ships built JavaScript, types, README and LICENSE, and no tests, fixtures or sources', async () => {
    for (const p of PACKAGES) {
      const dir = join(app, 'node_modules/@pq', p)
      expect(existsSync(join(dir, 'README.md'))).toBe(true)
      expect(existsSync(join(dir, 'LICENSE'))).toBe(true)
      expect(existsSync(join(dir, 'src'))).toBe(false)
      const files = (await sh('find', [dir, '-type', 'f'])).stdout.split('\n').filter(Boolean)
      expect(files.filter((f) => /\.test\.|fixtures|testing|\.ts$(?<!\.d\.ts)|tsbuildinfo/.test(f))).toEqual([])
    }
    expect(existsSync(join(app, 'node_modules/@pq/core/dist/migrate/migrations.generated.js'))).toBe(true)
    expect(existsSync(join(app, 'node_modules/@pq', STALE_OUTPUT.replace('packages/', '')))).toBe(false)
    expect(existsSync(join(REPO_ROOT, STALE_OUTPUT))).toBe(false)
    // An app that only enqueues installs no CLI parser and no TypeScript loader.
    const core = JSON.parse(readFileSync(join(app, 'node_modules/@pq/core/package.json'), 'utf8')) as {
      dependencies: Record<string, string>
    }
    expect(Object.keys(core.dependencies).filter((d) => /yargs|tsx|esbuild|typescript/.test(d))).toEqual([])
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false)
    expect(existsSync(join(app, 'node_modules/esbuild'))).toBe(false)
  })

  it(
    'enqueues from an ESM app inside its transaction, and pq-worker --burst runs the .mjs task',
    async () => {
      await bin('pq-migrate')
      const out = JSON.parse((await node('enqueue.mjs')).stdout) as { kept: string; dropped: string; int8: unknown }
      expect(out.int8).toBe('1')
      const worker = await bin('pq-worker', '--burst')
      expect(worker.stdout).toMatch(/burst finished/)
      expect(await jobs(out.kept, out.dropped)).toEqual({
        [out.kept]: { status: 'finished', result: 5, excInfo: null },
        [out.dropped]: null,
      })
    },
    3 * MINUTE,
  )

  it(
    'enqueues from a CommonJS app through require()',
    async () => {
      const { stdout } = await node('enqueue.cjs')
      const id = stdout.trim()
      expect((await jobs(id))[id]).toEqual({ status: 'queued', result: null, excInfo: null })
      await bin('pq-worker', '--burst')
      expect((await jobs(id))[id]).toEqual({ status: 'finished', result: 30, excInfo: null })
    },
    3 * MINUTE,
  )

  it.each(['nodenext', 'bundler'])(
    'type-checks a TypeScript app under %s with skipLibCheck off: its one error is the deliberate wrong argument',
    async (mode) => {
      // One tsc run per mode: app.ts (typed enqueue, results, job(), a task map) must compile clean,
      // so the only error allowed is mistake.ts passing a string where add takes a number.
      const tsc = join(app, 'node_modules/typescript/bin/tsc')
      const checked = await sh(process.execPath, [tsc, '-p', `tsconfig.${mode}.json`], { allowFail: true })
      expect(checked.code).not.toBe(0)
      expect(checked.stdout.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^typed\/mistake\.ts\(6,\d+\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'\.$/,
        ),
      ])
    },
    3 * MINUTE,
  )

  it(
    'says in one line what to install for a .ts task, and runs it once tsx is added',
    async () => {
      const first = (await node('enqueue.cjs', 'typed.tasks.add')).stdout.trim()
      await bin('pq-worker', '--burst')
      const failed = (await jobs(first))[first]!
      expect(failed.status).toBe('failed')
      expect(failed.excInfo).toMatch(/TypeScript task files need a loader: install tsx \(npm install tsx\)/)

      await sh('npm', ['install', '--engine-strict', '--no-audit', '--no-fund', '--prefer-offline', 'tsx@^4.20.0'])
      const second = (await node('enqueue.cjs', 'typed.tasks.add')).stdout.trim()
      await bin('pq-worker', '--burst')
      expect((await jobs(second))[second]).toEqual({ status: 'finished', result: 30, excInfo: null })
    },
    3 * MINUTE,
  )
})
