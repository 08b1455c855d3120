// Deletes compiled files in a package's dist/ whose source is gone (a module renamed or removed):
// tsc -b never deletes outputs, so without this a tarball would ship modules that no longer exist.
// Only stale files go (never the whole dist/), so tests running the built bins meanwhile keep working.
// Usage, in a package folder: node ../../scripts/prune-dist.mjs
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const OUTPUT = /(\.d\.ts\.map|\.d\.ts|\.js\.map|\.js)$/
const SOURCE_EXTENSIONS = ['.ts', '.mts']

/** Removes the stale outputs under `dist` of the package at `packageDir`; returns their paths. */
export function pruneDist(packageDir) {
  const dist = join(packageDir, 'dist')
  const src = join(packageDir, 'src')
  const removed = []
  if (!existsSync(dist)) return removed
  for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !OUTPUT.test(entry.name)) continue
    const file = join(entry.parentPath ?? entry.path, entry.name)
    const base = relative(dist, file).replace(OUTPUT, '')
    if (SOURCE_EXTENSIONS.some((ext) => existsSync(join(src, base + ext)))) continue
    rmSync(file)
    removed.push(file)
  }
  return removed
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of pruneDist(process.cwd())) console.log(`pruned stale ${relative(process.cwd(), file)}`)
}
