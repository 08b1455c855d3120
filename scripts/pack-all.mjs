// Packs every published package (as `pnpm pack` would for npm: built first by each prepack) into a
// folder, ./packs by default: `pnpm pack:all [dir]`. Install the tarballs with npm until pq is on
// the registry. The consumer test uses it too.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const PACKAGES = ['core', 'cli-kit', 'worker', 'cli', 'dashboard']
const root = fileURLToPath(new URL('..', import.meta.url))

/** Packs the packages into `dir` and returns the tarballs' paths. */
export function packAll(dir) {
  mkdirSync(dir, { recursive: true })
  // pnpm itself when a pnpm script started us, else pnpm on PATH.
  const exec = process.env.npm_execpath
  const [cmd, pre] = exec && /pnpm/.test(exec) ? [process.execPath, [exec]] : ['pnpm', []]
  for (const p of PACKAGES) {
    execFileSync(cmd, [...pre, 'pack', '--pack-destination', dir], {
      cwd: join(root, 'packages', p),
      stdio: ['ignore', 'ignore', 'inherit'],
    })
  }
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tgz'))
    .map((f) => join(dir, f))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const tarball of packAll(resolve(process.argv[2] ?? join(root, 'packs')))) console.log(tarball)
}
