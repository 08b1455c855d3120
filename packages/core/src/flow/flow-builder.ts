import { DateTime } from 'luxon'
import { InvalidOption, InvalidState } from '../errors.js'
import { resolveEnqueueCall, dependencyIds, type EnqueueCall } from '../job/enqueue-options.js'
import type { JobInsertRow } from '../job/job-insert.js'
import { queueName } from '../queue/queue-name.js'
import type { Queue } from '../queue/queue.js'

/** The step-adding methods of a flow block, for the flow's queue or (through `f.on(...)`) another. */
export interface FlowSteps {
  /** Adds a step calling `func` with positional arguments. Returns the step's job id. */
  enqueue(func: string, ...args: unknown[]): string
  /** Adds a step with enqueue options (timeout, resultTtl, retry, jobId, an extra `dependsOn` ...). Returns its job id. */
  enqueueCall(call: EnqueueCall): string
  /** Adds a step that, once the step before has finished, runs no earlier than `at` (a delayed step; `queue.schedule` is a stored, repeating schedule). Returns its job id. */
  enqueueAt(at: DateTime | Date | string, func: string, ...args: unknown[]): string
}

interface Target {
  name: string
  serial: boolean
  defaults: Queue['defaults']
}

/**
 * What a `Flow.run` block receives: add steps in order, each depending on the one before. Nothing
 * is written until the block returns; then every step and the flow record go in one statement.
 */
export class FlowBuilder implements FlowSteps {
  /** The flow's id, known before anything is written. */
  readonly id: string
  /** The flow's name, or null. */
  readonly name: string | null
  readonly #home: Target
  readonly #schema: string
  readonly #rows: JobInsertRow[] = []
  readonly #queues = new Map<string, boolean>()
  #closed = false

  /** @internal Flow.run makes it. */
  constructor(queue: Queue, id: string, name: string | null) {
    this.id = id
    this.name = name
    this.#home = queue
    this.#schema = queue.schema
  }

  enqueue(func: string, ...args: unknown[]): string {
    return this.#add(this.#home, { func, args })
  }

  enqueueCall(call: EnqueueCall): string {
    return this.#add(this.#home, call)
  }

  enqueueAt(at: DateTime | Date | string, func: string, ...args: unknown[]): string {
    return this.#add(this.#home, { func, args, at })
  }

  /**
   * Steps on another queue: `f.on(otherQueue).enqueue('a.b')`. A Queue brings its own defaults
   * (timeout, TTLs, serial); a bare name uses the flow queue's. Steps are still written through the
   * flow queue's connection, in the same statement, so the other Queue must share its schema.
   */
  on(queue: Queue | string): FlowSteps {
    const target: Target = typeof queue === 'string' ? { name: queueName(queue), serial: false, defaults: this.#home.defaults } : queue
    if (typeof queue !== 'string' && queue.schema !== this.#schema) {
      throw new InvalidOption(
        'queue',
        `f.on(${JSON.stringify(queue.name)}) names a queue in schema "${queue.schema}" but the flow writes to schema "${this.#schema}"; use a queue of the same schema`,
      )
    }
    return {
      enqueue: (func, ...args) => this.#add(target, { func, args }),
      enqueueCall: (call) => this.#add(target, call),
      enqueueAt: (at, func, ...args) => this.#add(target, { func, args, at }),
    }
  }

  /** @internal The rows to write, each with the flow's id; closes the builder. */
  close(): { rows: JobInsertRow[]; queues: { name: string; serial: boolean }[] } {
    this.#closed = true
    return { rows: this.#rows, queues: [...this.#queues].map(([name, serial]) => ({ name, serial })) }
  }

  #add(target: Target, call: EnqueueCall): string {
    if (this.#closed) throw new InvalidState(`flow ${this.id} is already written; add steps inside the Flow.run block, before it returns`)
    if (typeof call !== 'object' || call === null)
      throw new InvalidOption('call', `a flow step takes a call like { func: 'tasks.add', args: [1, 2] }, got ${JSON.stringify(call)}`)
    const row = resolveEnqueueCall(target.name, call, target.defaults)
    const previous = this.#rows.at(-1)
    // Each step waits on the one before, plus whatever the caller named.
    row.dependsOn = previous ? [...new Set([...dependencyIds(call.dependsOn), previous.id])] : row.dependsOn
    row.flowId = this.id
    this.#rows.push(row)
    this.#queues.set(target.name, (this.#queues.get(target.name) ?? false) || target.serial)
    return row.id
  }
}
