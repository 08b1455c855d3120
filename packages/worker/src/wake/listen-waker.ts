import { EventEmitter } from 'node:events'
import type { DateTime } from 'luxon'
import pgListen, { type Subscriber, type PgParsedNotification } from 'pg-listen'
import type pg from 'pg'
import { WakeLatch, type WakeReason, type Waker } from './waker.js'
import { Backoff } from '../backoff.js'

/** Options of the ListenWaker. */
export interface ListenWakerOptions {
  connection: pg.ClientConfig
  /** Channels to LISTEN on; `onNotification` gets every payload with its channel. */
  channels: string[]
  /** How long the start-up self-notification may take before LISTEN is declared unavailable. @defaultValue 1000 */
  probeTimeoutMs?: number
  /**
   * Sends the start-up probe. Give one that notifies through a pooled connection, as enqueues do:
   * behind a pooler that drops notifications (PgBouncer in transaction mode) a probe sent on the
   * LISTEN connection itself would still arrive and hide that the others never will.
   * @defaultValue a NOTIFY on the LISTEN connection
   */
  sendProbe?: (channel: string, payload: string) => Promise<unknown>
  /** Sees every payload with its channel; returning false means "not for us": no wake-up. */
  onNotification?: (channel: string, payload: string) => boolean | void
}

// pg-listen is CommonJS with its function on `exports.default`: Node's ESM default import is the
// whole exports object.
type CreateSubscriber = (config: pg.ClientConfig, options: Record<string, unknown>) => Subscriber
const createSubscriber: CreateSubscriber =
  (pgListen as unknown as { default?: CreateSubscriber }).default ?? (pgListen as unknown as CreateSubscriber)

/**
 * Wakes the loop on NOTIFY through one dedicated LISTEN connection (pg-listen), outside the pool.
 * While the connection is down it reports `poll` mode and rebuilds it with capped exponential
 * backoff and jitter; once back, waiters resolve with 'reconnected' so the loop claims at once
 * (notifications sent meanwhile are gone). Emits 'mode' ('listen' | 'poll') on every change.
 */
export class ListenWaker extends EventEmitter implements Waker {
  #mode: 'listen' | 'poll' = 'poll'
  readonly #latch = new WakeLatch()
  readonly #options: ListenWakerOptions
  #subscriber: Subscriber | undefined
  /** Subscribers given up (closed, or lost): one that reconnects anyway is closed again. */
  readonly #retired = new WeakSet<Subscriber>()
  #closed = false
  /** Set once start() has set the first mode; later changes emit 'mode'. */
  #started = false
  readonly #backoff = new Backoff({ firstMs: 250, maxMs: 10_000, jitter: true })
  #retryTimer: NodeJS.Timeout | undefined

  constructor(options: ListenWakerOptions) {
    super()
    this.#options = options
  }

  get mode(): 'listen' | 'poll' {
    return this.#mode
  }

  /**
   * Connects, listens, and checks that a notification to itself arrives. Resolves true when LISTEN
   * works; false (and poll mode) when it does not, e.g. behind a transaction-mode pooler.
   */
  async start(): Promise<boolean> {
    try {
      await this.#connect()
    } catch {
      this.#mode = 'poll'
      this.#scheduleReconnect()
      return false
    }
    const ok = await this.#probe()
    // The first mode is set quietly: 'mode' events report changes after start.
    if (!ok) {
      // Connected but deaf: keep the connection (notifications may still come) and poll meanwhile.
      this.#mode = 'poll'
      this.#started = true
      return false
    }
    this.#mode = 'listen'
    this.#started = true
    return true
  }

  wait(until: DateTime, signal: AbortSignal): Promise<WakeReason> {
    return this.#latch.wait(until, signal)
  }

  /** Wakes a waiter from inside the process. */
  poke(): void {
    this.#latch.fire('notified')
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#retryTimer)
    const sub = this.#subscriber
    this.#subscriber = undefined
    if (sub) this.#retired.add(sub)
    await sub?.close().catch(() => {})
  }

  async #connect(): Promise<void> {
    const sub = createSubscriber(this.#options.connection, {
      // Validate payloads ourselves: pg-listen's JSON.parse would turn a bad one into an 'error'.
      parse: (s: string) => s,
      serialize: (s: unknown) => String(s),
      paranoidChecking: 10_000,
      retryInterval: 250,
      // After this, pg-listen gives up and emits 'error'; we then rebuild on our own backoff.
      retryTimeout: 3000,
    })
    sub.events.on('notification', (n: PgParsedNotification) => {
      const payload = typeof n.payload === 'string' ? n.payload : ''
      // A notification on the live connection proves LISTEN works: a probe that came late (a busy
      // server) must not leave the worker polling for good.
      if (this.#started && this.#subscriber === sub) this.#setMode('listen')
      if (payload === this.#probeToken) {
        this.#probeArrived?.()
        return
      }
      if (this.#options.onNotification?.(n.channel, payload) === false) return
      this.#latch.fire('notified')
    })
    sub.events.on('error', () => this.#onLost(sub))
    // pg-listen reconnects by itself first: poll while it does, then claim at once when it is back.
    sub.events.on('reconnect', () => {
      if (this.#subscriber === sub) this.#setMode('poll')
    })
    sub.events.on('connected', () => {
      // pg-listen's close() during its own reconnect ends the old client only; the new one connects
      // afterwards and would live on. Close such a subscriber again once it is back.
      if (this.#retired.has(sub)) {
        sub.close().catch(() => {})
        return
      }
      if (this.#subscriber !== sub) return
      this.#setMode('listen')
      this.#latch.fire('reconnected')
    })
    await sub.connect()
    for (const channel of this.#options.channels) await sub.listenTo(channel)
    if (this.#closed) {
      await sub.close().catch(() => {})
      return
    }
    this.#subscriber = sub
  }

  #probeToken = ''
  #probeArrived: (() => void) | undefined

  async #probe(): Promise<boolean> {
    const sub = this.#subscriber
    const channel = this.#options.channels[0]
    if (!sub || !channel) return false
    this.#probeToken = `probe:${process.pid}:${Math.random().toString(36).slice(2)}`
    const arrived = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.#options.probeTimeoutMs ?? 1000)
      this.#probeArrived = () => {
        clearTimeout(timer)
        resolve(true)
      }
    })
    const send = this.#options.sendProbe ?? ((c: string, p: string) => sub.notify(c, p))
    await send(channel, this.#probeToken).catch(() => {})
    const ok = await arrived
    this.#probeArrived = undefined
    return ok
  }

  #onLost(sub: Subscriber): void {
    if (this.#closed || this.#subscriber !== sub) return
    this.#subscriber = undefined
    this.#retired.add(sub)
    sub.close().catch(() => {})
    this.#setMode('poll')
    this.#scheduleReconnect()
  }

  #scheduleReconnect(): void {
    if (this.#closed) return
    this.#retryTimer = setTimeout(() => {
      this.#connect().then(
        () => {
          if (this.#closed) return
          this.#backoff.reset()
          this.#setMode('listen')
          this.#latch.fire('reconnected')
        },
        () => this.#scheduleReconnect(),
      )
    }, this.#backoff.next())
    this.#retryTimer.unref?.()
  }

  #setMode(mode: 'listen' | 'poll'): void {
    if (this.#mode === mode) return
    this.#mode = mode
    this.emit('mode', mode)
  }
}
