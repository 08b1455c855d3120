import type { Queue } from '../queue/queue.js'
import type { EnqueueOptions } from './enqueue-options.js'
import type { Job } from './job.js'

/** A task wrapped by `job()`: still callable directly, plus `.delay()` to enqueue it. */
export type DelayedTask<F extends (...args: never[]) => unknown> = F & {
  /** Enqueues a call with the function's own argument types (RQ's `.delay`). */
  delay(...args: Parameters<F>): Promise<Job<Awaited<ReturnType<F>>>>
  /** The name workers resolve it by. */
  readonly func: string
}

/**
 * RQ's `@job` decorator: binds a task function to its queue, its name and default options, and gives
 * it `.delay(...args)`. Export the result under the name you give, so workers find it.
 *
 * @example
 * // tasks.ts
 * export const add = job({ queue, func: 'tasks.add', timeout: 30 }, (a: number, b: number) => a + b)
 * await add.delay(1, 2)
 */
export function job<F extends (...args: never[]) => unknown>(
  options: EnqueueOptions & { queue: Queue; func: string },
  fn: F,
): DelayedTask<F> {
  const { queue, func, ...enqueueOptions } = options
  const wrapped = ((...args: Parameters<F>) => fn(...args)) as DelayedTask<F>
  Object.defineProperty(wrapped, 'func', { value: func, enumerable: true })
  Object.defineProperty(wrapped, 'name', { value: fn.name || func.split('.').pop() })
  wrapped.delay = (...args: Parameters<F>) => queue.enqueueCall({ ...enqueueOptions, func, args }) as Promise<Job<Awaited<ReturnType<F>>>>
  return wrapped
}
