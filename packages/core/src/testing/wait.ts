import type { EventEmitter } from 'node:events'

/** Resolves with the next `event` from `emitter` (its first argument), or rejects after timeoutMs. */
export function nextEvent<T = unknown>(
  emitter: EventEmitter,
  event: string,
  options: { timeoutMs?: number; filter?: (value: T) => boolean } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5000
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener)
      reject(new Error(`no "${event}" event within ${timeoutMs} ms`))
    }, timeoutMs)
    const listener = (value: T) => {
      if (options.filter && !options.filter(value)) return
      clearTimeout(timer)
      emitter.off(event, listener)
      resolve(value)
    }
    emitter.on(event, listener)
  })
}

/** Polls `check` until it returns a truthy value (returned), or throws after timeoutMs. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10000)
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'a condition'}`)
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25))
  }
}
