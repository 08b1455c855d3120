/** The minimal stream pq-bench writes to: process.stderr, or a buffer in tests. */
export interface TextSink {
  write(text: string): unknown
  readonly isTTY?: boolean
  readonly columns?: number
}

const REDRAW_MS = 100
const QUIET_LINE_MS = 10_000
const BAR_WIDTH = 24

/**
 * Progress on stderr: on a terminal, one bar redrawn in place for the current run, with each finished
 * run's figures left above it; elsewhere (CI logs, pipes), a line per finished run and, for long
 * runs, one every ten seconds.
 */
export class Progress {
  #label = ''
  #lastDraw = 0
  #runStartedAt = 0
  #barShown = false

  constructor(private readonly sink: TextSink) {}

  get #tty(): boolean {
    return this.sink.isTTY === true
  }

  /** A run begins; `label` names it ("pq drain, 2 workers, run 1/3"). */
  begin(label: string): void {
    this.#label = label
    this.#runStartedAt = Date.now()
    this.#lastDraw = Date.now()
    if (this.#tty) {
      this.sink.write(`\r\x1b[K${this.#label}: starting…`)
      this.#barShown = true
    }
  }

  /** `done` of `total` units of the current run. */
  update(done: number, total: number): void {
    const now = Date.now()
    if (this.#tty) {
      if (now - this.#lastDraw < REDRAW_MS && done < total) return
      this.#lastDraw = now
      const share = total > 0 ? Math.min(1, done / total) : 0
      const filled = Math.round(share * BAR_WIDTH)
      const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`
      const seconds = ((now - this.#runStartedAt) / 1000).toFixed(1)
      const line = `${bar} ${(share * 100).toFixed(0).padStart(3)}% ${this.#label}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${seconds}s`
      this.sink.write(`\r\x1b[K${line.slice(0, (this.sink.columns ?? 120) - 1)}`)
      this.#barShown = true
    } else if (now - this.#lastDraw >= QUIET_LINE_MS) {
      this.#lastDraw = now
      this.sink.write(`${this.#label}: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}\n`)
    }
  }

  /** The current run is over; `summary` is its figures in a few words. */
  end(summary: string): void {
    this.line(`${this.#label}: ${summary}`)
  }

  /** A line of its own (set-up steps, warnings), clearing the bar first. */
  line(text: string): void {
    if (this.#barShown) {
      this.sink.write('\r\x1b[K')
      this.#barShown = false
    }
    this.sink.write(`${text}\n`)
  }
}
