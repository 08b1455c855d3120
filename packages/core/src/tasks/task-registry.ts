import type { Json } from '../db/tables.js'

/**
 * The application's tasks by name, for the type checker only: declare them once and
 * `queue.enqueue('tasks.add', 1, 2)` checks the arguments against `add`'s parameters, and the job's
 * `result` and `waitForResult()` have its return type. Names not declared stay allowed, untyped.
 *
 * @example
 * // tasks.ts
 * export function add(a: number, b: number) { return a + b }
 * declare module '@pq/core' {
 *   interface PqTasks { 'tasks.add': typeof add }
 * }
 */
export interface PqTasks {}

/** A name declared in PqTasks. */
export type TaskName = Extract<keyof PqTasks, string>

/** The arguments a task takes: its parameters when declared in PqTasks, else any. */
export type TaskArgs<N extends string> = N extends TaskName ? (PqTasks[N] extends (...args: infer A) => unknown ? A : unknown[]) : unknown[]

/** What a job of the task holds as its result: the (awaited) return type when declared, else JSON. */
export type TaskResult<N extends string> = N extends TaskName
  ? PqTasks[N] extends (...args: never[]) => infer R
    ? Awaited<R>
    : Json
  : Json
