import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** The repository root (this file is packages/core/src/testing/source-bin.ts). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..')

/**
 * Node arguments that run a bin from its TypeScript source, e.g. `sourceBin('worker', 'pq-worker')`:
 * process tests see the code as it is now, with no build in between. The shipped bins (bin/*.js)
 * run the compiled dist/ instead; the consumer test covers those.
 */
export function sourceBin(pkg: string, bin: string): string[] {
  const loader = pathToFileURL(join(REPO_ROOT, 'scripts/dev/source-loader.mjs')).href
  return ['--import', loader, join(REPO_ROOT, 'packages', pkg, 'src/bin', `${bin}.ts`)]
}
