/**
 * A benchmark worker process: pq-bench forks W of these (bin/bench-child.js) so W workers are W OS
 * processes, as in django-pq's pqbenchmark. Like a bin, this is an entry point and the only bench
 * file besides bin/pq-bench.ts that touches `process`.
 *
 * It builds its backend's worker, says `ready`, consumes from `start` until `stop`, then writes the
 * ids of every job its task ran to its ids file (also when the parent goes away) and exits.
 */
import { writeFileSync } from 'node:fs'
import type { Consumer } from './consumer.js'
import { ledger } from './ledger.js'
import { PROGRESS_INTERVAL_MS, type ChildConfig, type ChildMessage, type ParentMessage } from './protocol.js'

const config = JSON.parse(process.argv[2] ?? 'null') as ChildConfig | null
if (!config || !process.send) {
  console.error('bench-child is started by pq-bench, which passes its config and an IPC channel')
  process.exit(2)
}

const book = ledger()
let idsWritten = false

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve()
    process.send!(message, undefined, {}, () => resolve())
  })
}

function progress(): ChildMessage {
  return {
    type: 'progress',
    finished: book.finished,
    failed: book.failed,
    firstStartedAt: book.firstStartedAt,
    lastFinishedAt: book.lastFinishedAt,
  }
}

function writeIds(): void {
  if (idsWritten) return
  idsWritten = true
  writeFileSync(config!.idsFile, book.ids.join('\n'))
}

async function openConsumer(c: ChildConfig): Promise<Consumer> {
  // Each process loads only its own backend's client.
  switch (c.backend) {
    case 'pq':
      return (await import('./pq-consumer.js')).pqConsumer(c, book)
    case 'redis':
      return (await import('./redis-consumer.js')).redisConsumer(c, book)
    case 'graphile':
      return (await import('./graphile-consumer.js')).graphileConsumer(c, book)
    case 'limit':
      return (await import('./limit-consumer.js')).limitConsumer(c, book)
  }
}

async function main(c: ChildConfig): Promise<void> {
  const consumer = await openConsumer(c)
  let timer: NodeJS.Timeout | null = null
  let reported = ''
  if (c.reportEachJob) {
    book.onStarted = (seq, at) => void send({ type: 'job', event: 'started', seq, at })
    book.onFinished = (seq, at) => {
      void send({ type: 'job', event: 'finished', seq, at })
      void send(progress()) // the counts the parent waits on, without waiting for the next tick
    }
  }
  const report = (): void => {
    const message = progress()
    const text = JSON.stringify(message)
    if (text !== reported) {
      reported = text
      void send(message)
    }
  }
  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    if (timer) clearInterval(timer)
    try {
      await consumer.stop()
    } finally {
      writeIds()
    }
    await send(progress())
    await send({ type: 'stopped', ran: book.ids.length })
    process.exit(0)
  }
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'start') {
      void consumer.start().then(async () => {
        timer = setInterval(report, PROGRESS_INTERVAL_MS)
        await send({ type: 'running' })
      }, fail)
    } else if (message.type === 'stop') {
      stop().catch(fail)
    }
  })
  // The parent went away (killed, crashed): stop as if told to, so the ids still reach the disk.
  process.on('disconnect', () => {
    if (!stopping)
      stop()
        .catch(fail)
        .finally(() => process.exit(1))
  })
  await send({ type: 'ready' })
}

function fail(err: unknown): void {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err)
  console.error(message)
  try {
    writeIds()
  } catch {
    // The ids file is best effort here: the error below is what the parent reports.
  }
  void send({ type: 'error', message: err instanceof Error ? err.message : String(err) }).finally(() => process.exit(1))
}

process.on('exit', () => {
  if (!idsWritten)
    try {
      writeIds()
    } catch {
      /* exiting anyway */
    }
})
main(config).catch(fail)
