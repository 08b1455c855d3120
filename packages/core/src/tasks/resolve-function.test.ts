import { describe, expect, it } from '@jest/globals'
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

  it('loads an export of an installed package', async () => {
    // luxon is installed for @pq/core: `luxon.Duration` is its Duration class (a function).
    expect(typeof await resolveFunction('luxon.Duration', join(FIXTURES_PATH, '..'))).toBe('function')
  })

  it('names what it tried when nothing matches', async () => {
    const err = await resolveFunction('missing.fn', root).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnknownFunction)
    expect((err as Error).message).toBe(`unknown function "missing.fn": no module missing.ts, missing.mts, missing.js, missing.mjs, missing.cjs or missing/index.* under ${root}, and no installed package "missing"; set the tasks root with --path or PQ_PATH`)
  })

  it('lists the functions a module has when the export is missing or not a function', async () => {
    await expect(resolveFunction('esm-js.twize', root)).rejects.toThrow('unknown function "esm-js.twize": esm-js.js has no export "twize" (it has twice)')
    await expect(resolveFunction('fixtures.notAFunction', FIXTURES_PATH)).rejects.toThrow(/export "notAFunction" is a number, not a function/)
  })

  it('reports a module that fails to load, in one line', async () => {
    await expect(resolveFunction('broken.anything', root)).rejects.toThrow(/^unknown function "broken.anything": cannot load .*broken\.ts: this module fails to load$/)
  })

  it('refuses a malformed name', async () => {
    await expect(resolveFunction('nodot', root)).rejects.toThrow(InvalidOption)
  })

  it('loads TypeScript task files in a Node process of its own, as the bins run (through tsx)', () => {
    const script = `import('${join(process.cwd(), 'packages/core/src/tasks/resolve-function.ts')}')`
    const res = spawnSync(process.execPath, ['--import', 'tsx', '-e',
      `${script}.then(async (m) => { const fn = await m.resolveFunction('nested.leaf.leaf', ${JSON.stringify(root)}); console.log(fn()) })`],
    { encoding: 'utf8', cwd: process.cwd() })
    expect(res.stderr).toBe('')
    expect(res.stdout.trim()).toBe('from nested/leaf.ts')
  })
})
