import { describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { resolveFunction, UnknownFunction, InvalidOption } from '@pq/core'
import { FIXTURES_PATH } from '@pq/core/testing'

const root = join(FIXTURES_PATH, 'modules')

describe('resolveFunction', () => {
  it.each([
    ['esm-js.twice', 4],
    ['esm-mjs.thrice', 6],
    ['common.half', 1],
  ])('loads %s from a .js, .mjs or .cjs module', async (name, expected) => {
    const fn = await resolveFunction(name, root)
    expect(fn(2)).toBe(expected)
  })

  it('loads TypeScript modules, index files and nested paths', async () => {
    expect((await resolveFunction('nested.deep', root))()).toBe('from nested/index.ts')
    expect((await resolveFunction('nested.leaf.leaf', root))()).toBe('from nested/leaf.ts')
  })

  it("finds pq's own test job anywhere", async () => {
    expect(String((await resolveFunction('pq.utils.testJob', '/'))())).toMatch(/^pq test job ran at /)
  })

  it('loads an export of an installed package only when it is listed as a task package', async () => {
    // luxon and pg are installed for @pq/core: without the opt-in no job may call their exports.
    const above = join(FIXTURES_PATH, '..')
    await expect(resolveFunction('pg.Client', above)).rejects.toThrow(/^unknown function "pg.Client": no module pg.ts, .* under /)
    await expect(resolveFunction('luxon.Duration', above)).rejects.toThrow(UnknownFunction)
    expect(typeof (await resolveFunction('luxon.Duration', above, { packages: ['luxon'] }))).toBe('function')
    await expect(resolveFunction('nowhere.fn', above, { packages: ['nowhere'] })).rejects.toThrow(
      'unknown function "nowhere.fn": package "nowhere" is listed as a task package but is not installed under',
    )
  })

  it('resolves only own exports, never what a module object inherits', async () => {
    for (const name of ['common.constructor', 'common.hasOwnProperty', 'esm-js.constructor', 'esm-mjs.toString', 'nested.leaf.valueOf']) {
      await expect(resolveFunction(name, root)).rejects.toThrow(UnknownFunction)
    }
  })

  it('takes functions from a tasks map first, by their own names only', async () => {
    const send = (to: string) => `sent to ${to}`
    const tasks = { 'emails.send': send }
    expect(await resolveFunction('emails.send', root, { tasks })).toBe(send)
    expect((await resolveFunction('esm-js.twice', root, { tasks }))(2)).toBe(4)
    await expect(
      resolveFunction('emails.constructor', root, { tasks: Object.create({ 'emails.constructor': send }) as Record<string, typeof send> }),
    ).rejects.toThrow(UnknownFunction)
    await expect(resolveFunction('emails.sned', root, { tasks })).rejects.toThrow(
      /and no task "emails.sned" in the tasks map \(it has emails.send\)/,
    )
  })

  it('names what it tried when nothing matches', async () => {
    const err = await resolveFunction('missing.fn', root).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnknownFunction)
    expect((err as Error).message).toBe(
      `unknown function "missing.fn": no module missing.ts, missing.mts, missing.js, missing.mjs, missing.cjs or missing/index.* under ${root}; set the tasks root with --path or PQ_PATH`,
    )
  })

  it('lists the functions a module has when the export is missing or not a function', async () => {
    await expect(resolveFunction('esm-js.twize', root)).rejects.toThrow(
      'unknown function "esm-js.twize": esm-js.js has no export "twize" (it has twice)',
    )
    await expect(resolveFunction('fixtures.notAFunction', FIXTURES_PATH)).rejects.toThrow(
      /export "notAFunction" is a number, not a function/,
    )
  })

  it('reports a module that fails to load, in one line', async () => {
    await expect(resolveFunction('broken.anything', root)).rejects.toThrow(
      /^unknown function "broken.anything": cannot load .*broken\.ts: this module fails to load$/,
    )
  })

  it('refuses a malformed name', async () => {
    await expect(resolveFunction('nodot', root)).rejects.toThrow(InvalidOption)
  })

  it('loads TypeScript task files in a Node process of its own, as the bins run (through tsx)', () => {
    const script = `import('${join(process.cwd(), 'packages/core/src/tasks/resolve-function.ts')}')`
    const res = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `${script}.then(async (m) => { const fn = await m.resolveFunction('nested.leaf.leaf', ${JSON.stringify(root)}); console.log(fn()) })`,
      ],
      { encoding: 'utf8', cwd: process.cwd() },
    )
    expect(res.stderr).toBe('')
    expect(res.stdout.trim()).toBe('from nested/leaf.ts')
  })

  it('registers the TypeScript loader before importing a .ts task when pq runs compiled, on plain node', () => {
    // The built package (pnpm test builds it first), as an installed pq runs: no loader preloaded.
    // A failed import() is cached per URL, so registering tsx after a failure could never work.
    const built = join(process.cwd(), 'packages/core/dist/tasks/resolve-function.js')
    expect(existsSync(built)).toBe(true)
    const res = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(built)}); console.log((await m.resolveFunction('nested.leaf.leaf', ${JSON.stringify(root)}))()); console.log((await m.resolveFunction('esm-mjs.thrice', ${JSON.stringify(root)}))(1))`,
      ],
      { encoding: 'utf8', cwd: root },
    )
    expect(res.stderr).toBe('')
    expect(res.stdout.trim().split('\n')).toEqual(['from nested/leaf.ts', '3'])
  })
})
