import type { ScenarioName } from '../options.js'
import { drain, drainDeep, drainSerial } from './drain.js'
import { enqueue } from './enqueue.js'
import { latency } from './latency.js'
import type { Scenario } from './scenario.js'
import { sleep, throughput } from './throughput.js'
import { writeCost } from './write-cost.js'

/** Every scenario by name. */
export const SCENARIO_BY_NAME: Readonly<Record<ScenarioName, Scenario>> = {
  throughput,
  drain,
  'drain-c1': drainSerial,
  'drain-100k': drainDeep,
  latency,
  enqueue,
  sleep,
  'write-cost': writeCost,
}
