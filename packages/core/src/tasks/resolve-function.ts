import { existsSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { UnknownFunction } from '../errors.js'
import { functionName } from './function-name.js'

/** A task: any function; it receives the job's args, then its kwargs object when there are any. */
export type TaskFunction = (...args: any[]) => unknown // eslint-disable-line @typescript-eslint/no-explicit-any

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cjs'] as const
const BUILTIN_PREFIX = 'pq.'

const moduleCache = new Map<string, Promise<Record<string, unknown>>>()

/**
 * Finds a function by its RQ-style name under a tasks root: 'tasks.add' is export `add` of
 * tasks.{ts,js,mjs,cjs} (or tasks/index.*); 'emails.welcome.send' is export `send` of
 * emails/welcome.*. A name whose module is not a file under the root is tried as an installed
 * package. 'pq.utils.testJob' is pq's own test job. The error names what was tried.
 */
export async function resolveFunction(name: string, root: string = process.cwd()): Promise<TaskFunction> {
  // Resolved once per (root, name): a worker resolves the same few names for every job, and each
  // lookup otherwise costs file checks and a trip through the module loader's hooks.
  const key = `${root}\0${name}`
  let found = resolved.get(key)
  if (!found) {
    found = lookUp(name, root)
    resolved.set(key, found)
    found.catch(() => resolved.delete(key))
  }
  return found
}

const resolved = new Map<string, Promise<TaskFunction>>()

async function lookUp(name: string, root: string): Promise<TaskFunction> {
  functionName(name)
  const segments = name.split('.')
  const exportName = segments.pop()!
  const modulePath = segments.join('/')
  const { module, where } = await loadModule(name, modulePath, resolve(root))
  const fn = module[exportName] ?? (exportName === 'default' ? undefined : (module.default as Record<string, unknown> | undefined)?.[exportName])
  if (typeof fn !== 'function') {
    const available = Object.keys(module).filter((k) => typeof module[k] === 'function').sort()
    const has = available.length ? `it has ${available.join(', ')}` : 'it exports no functions'
    const what = fn === undefined ? `has no export "${exportName}"` : `export "${exportName}" is a ${typeof fn}, not a function`
    throw new UnknownFunction(name, `${where} ${what} (${has})`)
  }
  return fn as TaskFunction
}

async function loadModule(name: string, modulePath: string, root: string): Promise<{ module: Record<string, unknown>; where: string }> {
  if (name.startsWith(BUILTIN_PREFIX)) {
    const builtin = modulePath.slice(BUILTIN_PREFIX.length)
    if (builtin === 'utils') return { module: await import('./builtin-tasks.js') as Record<string, unknown>, where: 'pq.utils' }
  }
  const file = findModuleFile(join(root, modulePath))
  if (file) return { module: await importFile(name, file), where: file.slice(root.length + 1) || file }
  const bare = modulePath
  try {
    const resolved = createRequire(join(root, 'noop.js')).resolve(bare)
    return { module: await importFile(name, resolved), where: `package "${bare}"` }
  } catch (err) {
    if (err instanceof UnknownFunction) throw err
    const tried = EXTENSIONS.map((e) => `${modulePath}${e}`).join(', ')
    throw new UnknownFunction(name, `no module ${tried} or ${modulePath}/index.* under ${root}, and no installed package "${bare}"; set the tasks root with --path or PQ_PATH`)
  }
}

function findModuleFile(base: string): string | undefined {
  for (const ext of EXTENSIONS) if (isFile(base + ext)) return base + ext
  for (const ext of EXTENSIONS) if (isFile(join(base, `index${ext}`))) return join(base, `index${ext}`)
  return undefined
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile()

let tsxRegistered: Promise<void> | undefined

/**
 * Imports a module file. TypeScript task files need a loader: when plain Node refuses the .ts
 * extension, tsx's ESM hooks are registered once and the import is tried again.
 */
async function importFile(name: string, file: string): Promise<Record<string, unknown>> {
  let cached = moduleCache.get(file)
  if (!cached) {
    cached = (async () => {
      const url = pathToFileURL(file).href
      try {
        return await import(url) as Record<string, unknown>
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err
        tsxRegistered ??= import('tsx/esm/api').then((tsx) => { tsx.register() })
        await tsxRegistered
        return await import(url) as Record<string, unknown>
      }
    })()
    moduleCache.set(file, cached)
    cached.catch(() => moduleCache.delete(file))
  }
  try {
    return await cached
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err)
    throw new UnknownFunction(name, `cannot load ${file}: ${reason}`, { cause: err })
  }
}
