import type { Summary } from '../harness/stats.js'
import type { BackendKind, ScenarioName } from '../options.js'
import type { MetricSpec } from '../scenarios/scenario.js'

/** One measured series: a backend as the report names it. */
export interface SeriesInfo {
  readonly key: string
  readonly label: string
  readonly kind: BackendKind
}

/** One worker count's results: series key → metric key → summary of the runs. */
export interface ScenarioRow {
  readonly workers: number
  readonly results: Readonly<Record<string, Readonly<Record<string, Summary>>>>
}

/** A performance target from the issue, checked against this invocation's medians. */
export interface TargetCheck {
  /** What the target asks, e.g. 'pq p50 ≤ 2 ms'. */
  readonly target: string
  /** What was measured, e.g. '1.84 ms'; null when this invocation did not measure it. */
  readonly measured: string | null
  /** Null when not measured. */
  readonly met: boolean | null
  /** Why not measured, or what the figure was taken from. */
  readonly note?: string
}

/** One scenario's results over the worker sweep. */
export interface ScenarioReport {
  readonly scenario: ScenarioName
  readonly description: string
  readonly jobs: number
  readonly concurrency: number
  readonly sleepMs: number
  readonly repeat: number
  readonly primary: string
  readonly metrics: readonly MetricSpec[]
  readonly series: readonly SeriesInfo[]
  readonly rows: readonly ScenarioRow[]
  readonly targets: readonly TargetCheck[]
}

/** Everything one pq-bench invocation measured: what --json prints. */
export interface BenchReport {
  readonly tool: 'pq-bench'
  readonly startedAt: string
  readonly seconds: number
  readonly environment: {
    readonly node: string
    readonly platform: string
    readonly cpus: number
    readonly cpuModel: string
    readonly servers: Readonly<Record<string, string>>
  }
  /** What was asked for (connection strings left out: they may hold passwords). */
  readonly options: {
    readonly jobs: number | null
    readonly workers: readonly number[]
    readonly concurrency: number
    readonly sleepMs: number | null
    readonly backends: readonly string[]
    readonly scenarios: readonly string[]
    readonly repeat: number
    readonly prefill: number
  }
  /** Runs whose exactly-once check passed (all of them: a failed check ends the bench with an error). */
  readonly verifiedRuns: number
  readonly scenarios: readonly ScenarioReport[]
}
