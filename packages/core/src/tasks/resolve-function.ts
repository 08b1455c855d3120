import { existsSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { UnknownFunction } from '../errors.js'
import { functionName } from './function-name.js'

/** A task: any function; it receives the job's args, then its kwargs object when there are any. */
export type TaskFunction = (...args: any[]) => unknown // eslint-disable-line @typescript-eslint/no-explicit-any -- called with runtime args, whatever its parameters

/**
 * Task functions by RQ-style name (`{ 'emails.send': send }`), for a worker that has no task files
 * on disk (a bundled application) or wants its tasks typed in one place.
 */
export type TaskMap = Readonly<Record<string, TaskFunction>>

/** Where names are looked up besides the tasks root. */
export interface ResolveOptions {
  /** Functions by name, tried before any file. */
  tasks?: TaskMap | undefined
  /**
   * Installed packages whose exports may run as tasks (`'some-pkg.fn'`). Any other name resolves
   * only to a module under the tasks root, so a job can't call `pg.Client` or `fs.rmSync`.
   * @defaultValue []
   */
  packages?: readonly string[] | undefined
}

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cjs'] as const
const TYPESCRIPT = /\.[mc]?ts$/
const BUILTIN_PREFIX = 'pq.'

const moduleCache = new Map<string, Promise<Record<string, unknown>>>()

/**
 * Finds a function by its RQ-style name: first in `options.tasks`, then under a tasks root:
 * 'tasks.add' is export `add` of tasks.{ts,js,mjs,cjs} (or tasks/index.*); 'emails.welcome.send'
 * is export `send` of emails/welcome.*. Only a module's own exports count (never inherited
 * properties such as `constructor`), and an installed package only when `options.packages` names
 * it. 'pq.utils.testJob' is pq's own test job. The error names what was tried.
 */
export async function resolveFunction(name: string, root: string = process.cwd(), options: ResolveOptions = {}): Promise<TaskFunction> {
  const mapped = options.tasks && Object.hasOwn(options.tasks, name) ? options.tasks[name] : undefined
  if (typeof mapped === 'function') return mapped
  // Resolved once per (root, packages, name): a worker resolves the same few names for every job,
  // and each lookup otherwise costs file checks and a trip through the module loader's hooks.
  const packages = options.packages ?? []
  const key = `${root}\0${packages.join(',')}\0${name}`
  let found = resolved.get(key)
  if (!found) {
    found = lookUp(name, root, packages, options.tasks)
    resolved.set(key, found)
    found.catch(() => resolved.delete(key))
  }
  return found
}

const resolved = new Map<string, Promise<TaskFunction>>()

async function lookUp(name: string, root: string, packages: readonly string[], tasks: TaskMap | undefined): Promise<TaskFunction> {
  functionName(name)
  const segments = name.split('.')
  const exportName = segments.pop()!
  const modulePath = segments.join('/')
  const { module, where } = await loadModule(name, modulePath, resolve(root), packages, tasks)
  const fn = ownExport(module, exportName)
  if (typeof fn !== 'function') {
    const available = Object.keys(module)
      .filter((k) => typeof module[k] === 'function')
      .sort()
    const has = available.length ? `it has ${available.join(', ')}` : 'it exports no functions'
    const what = fn === undefined ? `has no export "${exportName}"` : `export "${exportName}" is a ${typeof fn}, not a function`
    throw new UnknownFunction(name, `${where} ${what} (${has})`)
  }
  return fn as TaskFunction
}

/** An export the module itself defines (a CommonJS module's through its default), never an inherited one. */
function ownExport(module: Record<string, unknown>, exportName: string): unknown {
  if (Object.hasOwn(module, exportName)) return module[exportName]
  const fallback = exportName === 'default' ? undefined : module.default
  if ((typeof fallback === 'object' || typeof fallback === 'function') && fallback !== null && Object.hasOwn(fallback, exportName)) {
    return (fallback as Record<string, unknown>)[exportName]
  }
  return undefined
}

async function loadModule(
  name: string,
  modulePath: string,
  root: string,
  packages: readonly string[],
  tasks: TaskMap | undefined,
): Promise<{ module: Record<string, unknown>; where: string }> {
  if (name.startsWith(BUILTIN_PREFIX)) {
    const builtin = modulePath.slice(BUILTIN_PREFIX.length)
    if (builtin === 'utils') return { module: await import('./builtin-tasks.js'), where: 'pq.utils' }
  }
  const file = findModuleFile(join(root, modulePath))
  if (file) return { module: await importFile(name, file, root), where: file.slice(root.length + 1) || file }
  const bare = modulePath
  if (packages.includes(bare)) {
    let entry: string
    try {
      entry = createRequire(join(root, 'noop.js')).resolve(bare)
    } catch {
      throw new UnknownFunction(name, `package "${bare}" is listed as a task package but is not installed under ${root}`)
    }
    return { module: await importFile(name, entry, root), where: `package "${bare}"` }
  }
  const tried = EXTENSIONS.map((e) => `${modulePath}${e}`).join(', ')
  const mapped = tasks ? ` and no task "${name}" in the tasks map (it has ${Object.keys(tasks).sort().join(', ') || 'none'})` : ''
  throw new UnknownFunction(
    name,
    `no module ${tried} or ${modulePath}/index.* under ${root}${mapped}; set the tasks root with --path or PQ_PATH`,
  )
}

function findModuleFile(base: string): string | undefined {
  for (const ext of EXTENSIONS) if (isFile(base + ext)) return base + ext
  for (const ext of EXTENSIONS) if (isFile(join(base, `index${ext}`))) return join(base, `index${ext}`)
  return undefined
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile()

/** Imports a module file, registering a TypeScript loader first when the file needs one. */
async function importFile(name: string, file: string, root: string): Promise<Record<string, unknown>> {
  let cached = moduleCache.get(file)
  if (!cached) {
    cached = (async () => {
      // Before the import, never after a failure: Node caches a failed import() per URL.
      if (TYPESCRIPT.test(file)) await typeScriptLoader(root)
      return (await import(pathToFileURL(file).href)) as Record<string, unknown>
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

let loader: Promise<void> | undefined

/**
 * Makes `import()` of TypeScript work, once per process (or thread): nothing to do when pq itself
 * runs from TypeScript source (tsx or jest already load it) or Node strips types itself; else tsx,
 * pq's optional peer dependency, from the application (the tasks root) or beside pq.
 */
function typeScriptLoader(root: string): Promise<void> {
  loader ??= (async () => {
    if (import.meta.url.endsWith('.ts')) return
    const tsx = findTsx(root)
    // tsx's main entry is its `node --import tsx` hook: importing it registers the loader.
    if (tsx) return void (await import(tsx))
    if ((process.features as { typescript?: unknown }).typescript) return
    throw new Error(`TypeScript task files need a loader: install tsx (npm install tsx) or run Node >= 22.18, which strips types itself`)
  })()
  loader.catch(() => {
    loader = undefined
  })
  return loader
}

function findTsx(root: string): string | undefined {
  for (const from of [join(root, 'noop.js'), import.meta.url]) {
    try {
      return pathToFileURL(createRequire(from).resolve('tsx')).href
    } catch {
      // Not installed there; try the next place.
    }
  }
  return undefined
}
