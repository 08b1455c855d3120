import type { ScenarioName } from '../options.js'
import { drain } from './drain.js'
import { enqueue } from './enqueue.js'
import { latency } from './latency.js'
import type { Scenario } from './scenario.js'
import { sleep, throughput } from './throughput.js'

/** Every scenario by name. */
export const SCENARIO_BY_NAME: Readonly<Record<ScenarioName, Scenario>> = { throughput, drain, latency, enqueue, sleep }
