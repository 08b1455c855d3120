import { liveSecondsFlag, liveSecondsOption, relativeTime, renderTable } from '@pq/cli-kit'
import { NoSuchWorker } from '@pq/core'
import {
  workerList,
  workerRequestStop,
  queueList,
  queueName,
  queuePause,
  queueResume,
  statsPing,
  statsStartedByWorker,
  servesQueue,
} from '@pq/core/internal'
import type { AdminCommand } from './admin-cli.js'

const workers: AdminCommand = {
  describe: 'List workers: state, queues, current jobs, heartbeat age',
  build: (p) => p.option('json', { type: 'boolean', describe: 'Print the workers as JSON' }).option('live-seconds', liveSecondsOption),
  async run(ctx, args, io) {
    const liveSeconds = liveSecondsFlag(args['live-seconds'] as string | number)
    const [now, rows, running] = await Promise.all([
      statsPing(ctx),
      workerList(ctx, { liveSeconds: liveSeconds }),
      statsStartedByWorker(ctx),
    ])
    const list = rows.map((w) => ({
      name: w.name,
      host: w.host,
      pid: w.pid,
      state: w.state,
      queues: w.queues,
      live: w.live,
      stopRequested: w.stop_requested,
      currentJobs: running.get(w.name) ?? [],
      heartbeatAt: w.heartbeat_at,
      heartbeatAgeSeconds: Math.max(0, (now.getTime() - new Date(w.heartbeat_at).getTime()) / 1000),
      successfulCount: Number(w.successful_count),
      failedCount: Number(w.failed_count),
    }))
    if (args.json) {
      io.out.write(`${JSON.stringify({ workers: list })}\n`)
      return 0
    }
    if (!list.length) {
      io.out.write('No workers registered.\n')
      return 0
    }
    io.out.write(
      `${renderTable(
        {
          header: ['NAME', 'STATE', 'QUEUES', 'CURRENT JOBS', 'HEARTBEAT', 'DONE/FAILED'],
          rows: list.map((w) => [
            w.name,
            `${w.live ? w.state : 'lost'}${w.stopRequested && w.state !== 'stopped' ? ' (stop asked)' : ''}`,
            w.queues.length ? w.queues.join(',') : '*',
            w.currentJobs.length ? w.currentJobs.join(',') : '-',
            relativeTime(new Date(w.heartbeatAt), now),
            `${w.successfulCount}/${w.failedCount}`,
          ]),
        },
        'plain',
      )}\n`,
    )
    return 0
  },
}

const stopWorker: AdminCommand = {
  describe: 'Ask a worker to stop after its current jobs',
  build: (p) =>
    p
      .command('$0 <name>', false)
      .positional('name', { type: 'string', demandOption: true })
      .option('live-seconds', liveSecondsOption)
      .example('pq-admin stop-worker web-1.4242', 'the worker finishes what it runs, then exits'),
  async run(ctx, args, io) {
    const liveSeconds = liveSecondsFlag(args['live-seconds'] as string | number)
    const name = String(args.name)
    const asked = await workerRequestStop(ctx, { names: [name], liveSeconds: liveSeconds })
    if (!asked.length) {
      const rows = await workerList(ctx, { liveSeconds: liveSeconds, onlyLive: true })
      throw new NoSuchWorker(
        name,
        rows.map((w) => w.name),
      )
    }
    io.out.write(`Asked worker ${name} to stop after its current jobs.\n`)
    return 0
  },
}

const ping: AdminCommand = {
  describe: 'Check the database and that each queue (given, else every known queue) has a live worker; exit 1 if not',
  build: (p) =>
    p
      .command('$0 [queues..]', false)
      .positional('queues', { type: 'string', array: true })
      .option('json', { type: 'boolean', describe: 'Print {database, queues: [{name, workers}]} as JSON' })
      .option('live-seconds', liveSecondsOption)
      .example('pq-admin ping emails reports || alert', 'from monitoring: exit 1 when a queue is unserved'),
  async run(ctx, args, io) {
    const liveSeconds = liveSecondsFlag(args['live-seconds'] as string | number)
    const given = ((args.queues as string[] | undefined) ?? []).map((q) => queueName(String(q)))
    const now = await statsPing(ctx)
    const [rows, known] = await Promise.all([
      workerList(ctx, { liveSeconds: liveSeconds }),
      given.length ? Promise.resolve([]) : queueList(ctx, {}),
    ])
    const names = given.length ? given : known.map((q) => q.name)
    const live = rows.filter((w) => w.live)
    const queues = names.map((name) => ({ name, workers: live.filter((w) => servesQueue(w, name)).map((w) => w.name) }))
    const unserved = queues.filter((q) => q.workers.length === 0)
    if (args.json) {
      io.out.write(`${JSON.stringify({ database: 'ok', queues, ok: unserved.length === 0 })}\n`)
    } else {
      io.out.write(`database: ok (${now.toISOString()})\n`)
      for (const q of queues)
        io.out.write(
          `${q.name}: ${q.workers.length ? `${q.workers.length} live worker${q.workers.length === 1 ? '' : 's'}` : 'NO live worker'}\n`,
        )
      if (!names.length) io.out.write('no queues yet\n')
    }
    if (unserved.length) io.err.write(`pq-admin: no live worker serves ${unserved.map((q) => q.name).join(', ')}\n`)
    return unserved.length ? 1 : 0
  },
}

const pause: AdminCommand = {
  describe: 'Pause a queue: it keeps accepting jobs, no worker claims from it until resume',
  build: (p) =>
    p
      .command('$0 <queue>', false)
      .positional('queue', { type: 'string', demandOption: true })
      .example('pq-admin pause emails', 'jobs of emails wait; running ones finish'),
  async run(ctx, args, io) {
    const queue = queueName(String(args.queue))
    const known = (await queueList(ctx, {})).some((q) => q.name === queue)
    const at = await queuePause(ctx, { name: queue })
    io.out.write(
      `Queue "${queue}" is paused (since ${at.toISOString()})${known ? '' : '; it has no jobs yet'}. Resume it with pq-admin resume ${queue}\n`,
    )
    return 0
  },
}

const resume: AdminCommand = {
  describe: 'Resume a paused queue: workers claim from it again at once',
  build: (p) => p.command('$0 <queue>', false).positional('queue', { type: 'string', demandOption: true }),
  async run(ctx, args, io) {
    const queue = queueName(String(args.queue))
    if (!(await queueResume(ctx, { name: queue }))) {
      io.err.write(`pq-admin: queue "${queue}" is not paused\n`)
      return 1
    }
    io.out.write(`Queue "${queue}" resumed.\n`)
    return 0
  },
}

/** pq-admin's worker, queue and health commands. */
export const WORKER_COMMANDS: Record<string, AdminCommand> = { workers, 'stop-worker': stopWorker, ping, pause, resume }
