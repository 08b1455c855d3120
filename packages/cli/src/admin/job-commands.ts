import { numberFlag, renderTable, cellText } from '@pq/cli-kit'
import { DateTime } from 'luxon'
import { JOB_STATUSES, WAITING_STATUSES, ATTEMPT_HISTORY_SIZE, NoSuchJob, UsageError, describeCall, type JobStatus } from '@pq/core'
import {
  jobList,
  jobFetch,
  jobRequeue,
  deleteJobs,
  jobCancel,
  jobEmptyQueue,
  jobIdsByStatus,
  jobDataFromRow,
  statsJobCount,
  queueName,
  type QueryContext,
} from '@pq/core/internal'
import type { AdminCommand } from './admin-cli.js'
import { confirm, yesOption, type AdminIo } from './confirm.js'

const ids = (args: Record<string, unknown>): string[] => ((args.ids as (string | number)[] | undefined) ?? []).map(String)
const when = (d: DateTime | null) => (d ? (d.toISO() ?? '') : '-')

/** Reports ids an operation skipped; true when there were none. */
function reportSkipped(io: AdminIo, asked: string[], done: string[], why: string): boolean {
  const skipped = asked.filter((id) => !done.includes(id))
  if (skipped.length) io.err.write(`pq-admin: ${skipped.length} not ${why}: ${skipped.join(', ')}\n`)
  return skipped.length === 0
}

const jobs: AdminCommand = {
  describe: 'List jobs, newest first (--queue, --status, --page, --per-page)',
  build: (p) =>
    p
      .option('queue', { type: 'string', describe: 'Only this queue' })
      .option('status', { type: 'string', choices: [...JOB_STATUSES], describe: 'Only this status' })
      .option('page', { type: 'string', default: '1', describe: 'Page number, from 1' })
      .option('per-page', { type: 'string', default: '20', describe: 'Jobs per page (1-500)' })
      .option('json', { type: 'boolean', describe: 'Print {total, page, jobs} as JSON' })
      .example('pq-admin jobs --queue emails --status failed', 'the failed jobs of one queue'),
  async run(ctx, args, io) {
    const page = numberFlag('--page', args.page as string, { min: 1, max: 1e9, integer: true, example: '2' })!
    const perPage = numberFlag('--per-page', args['per-page'] as string, { min: 1, max: 500, integer: true, example: '50' })!
    const queue = args.queue === undefined ? null : queueName(args.queue)
    const status = (args.status as JobStatus | undefined) ?? null
    const [total, rows] = await Promise.all([
      statsJobCount(ctx, { queue, status }),
      jobList(ctx, { queue, statuses: status ? [status] : JOB_STATUSES, offset: (page - 1) * perPage, limit: perPage, order: 'newest' }),
    ])
    const data = rows.map(jobDataFromRow)
    if (args.json) {
      io.out.write(`${JSON.stringify({ total, page, perPage, jobs: data })}\n`)
      return 0
    }
    const pages = Math.max(1, Math.ceil(total / perPage))
    io.out.write(
      `${renderTable(
        {
          header: ['ID', 'QUEUE', 'STATUS', 'CREATED', 'CALL'],
          rows: data.map((j) => [j.id, j.origin, j.status, when(j.createdAt), cellText(describeCall(j.func, j.args, j.kwargs))]),
        },
        'plain',
      )}\n`,
    )
    io.out.write(`page ${page} of ${pages} (${total} job${total === 1 ? '' : 's'})${page < pages ? `; next: --page ${page + 1}` : ''}\n`)
    return 0
  },
}

const show: AdminCommand = {
  describe: 'Show one job: call, arguments, result, error, meta, timestamps, worker, attempts',
  build: (p) =>
    p
      .positional('id', { type: 'string', demandOption: true })
      .command('$0 <id>', false)
      .option('json', { type: 'boolean', describe: 'Print the job as JSON' })
      .example('pq-admin show 3f1c…', 'one job'),
  async run(ctx, args, io) {
    const id = String(args.id)
    const row = await jobFetch(ctx, { id })
    if (!row) throw new NoSuchJob(id, 'it was deleted or its TTL expired')
    const j = jobDataFromRow(row)
    if (args.json) {
      io.out.write(`${JSON.stringify(j)}\n`)
      return 0
    }
    const fields: [string, string][] = [
      ['id', j.id],
      ['queue', j.origin],
      ['status', j.status],
      ['priority', String(j.priority)],
      ['call', describeCall(j.func, j.args, j.kwargs)],
      ['args', JSON.stringify(j.args)],
      ['kwargs', JSON.stringify(j.kwargs)],
      ['result', JSON.stringify(j.result)],
      ['meta', JSON.stringify(j.meta)],
      ['attempts', `${j.attempts} (retries allowed: ${j.retry.max})`],
      ['worker', j.worker ?? '-'],
      ['created', when(j.createdAt)],
      ['enqueued', when(j.enqueuedAt)],
      ['scheduled for', when(j.scheduledFor)],
      ['started', when(j.startedAt)],
      ['ended', when(j.endedAt)],
      ['expires', when(j.expiresAt)],
      ['flow', j.flowId ?? '-'],
      ['schedule', j.scheduleId ?? '-'],
      ['depends on', j.dependsOn.length ? j.dependsOn.join(', ') : '-'],
    ]
    io.out.write(fields.map(([k, v]) => `${`${k}:`.padEnd(15)}${v}`).join('\n') + '\n')
    if (j.excInfo) io.out.write(`excInfo:\n${j.excInfo.replace(/^/gm, '  ')}\n`)
    if (j.attemptHistory.length) {
      io.out.write(`failed attempts (last ${ATTEMPT_HISTORY_SIZE} kept):\n`)
      for (const a of j.attemptHistory) {
        io.out.write(
          `  #${a.attempt} ${when(a.at)} on ${a.worker ?? '?'}: ${a.errorClass ?? 'thrown value'}: ${(a.message ?? '').split('\n')[0]}\n`,
        )
      }
    }
    return 0
  },
}

async function requeueAllFailed(ctx: QueryContext, queue: string | null, yes: boolean | undefined, io: AdminIo): Promise<number> {
  const total = await statsJobCount(ctx, { queue, status: 'failed' })
  const where = queue ? `of queue "${queue}"` : 'in every queue'
  if (total === 0) {
    io.out.write(`No failed jobs ${where}.\n`)
    return 0
  }
  if (!(await confirm(io, yes, `Requeue ${total} failed job${total === 1 ? '' : 's'} ${where}?`, 'requeue every failed job'))) {
    io.err.write('pq-admin: nothing requeued\n')
    return 1
  }
  // The ids are read once, up front: a job that fails again while we work is not requeued twice.
  const all = await jobIdsByStatus(ctx, { queue, status: 'failed', limit: total })
  let done = 0
  for (let i = 0; i < all.length; i += 1000) done += (await jobRequeue(ctx, { ids: all.slice(i, i + 1000), statuses: ['failed'] })).length
  io.out.write(`Requeued ${done} failed job${done === 1 ? '' : 's'} ${where}.\n`)
  return 0
}

const requeue: AdminCommand = {
  describe: 'Put failed (stopped, canceled) jobs back in their queue: requeue ID... or --all-failed [--queue Q]',
  build: (p) =>
    p
      .command('$0 [ids..]', false)
      .positional('ids', { type: 'string', array: true })
      .option('all-failed', { type: 'boolean', describe: 'Every failed job (of --queue, else of every queue)' })
      .option('queue', { type: 'string', describe: 'With --all-failed: only this queue' })
      .option('yes', yesOption)
      .example('pq-admin requeue 3f1c… 9ab2…', 'two jobs')
      .example('pq-admin requeue --all-failed --queue emails --yes', 'every failed job of a queue, from a script'),
  async run(ctx, args, io) {
    const list = ids(args)
    if (args['all-failed']) {
      if (list.length) throw new UsageError('give job ids or --all-failed, not both')
      return requeueAllFailed(ctx, args.queue === undefined ? null : queueName(args.queue), args.yes as boolean | undefined, io)
    }
    if (args.queue !== undefined) throw new UsageError('--queue goes with --all-failed; to requeue given jobs, list their ids only')
    if (!list.length) throw new UsageError('name the jobs to requeue (pq-admin requeue ID...) or use --all-failed')
    const rows = await jobRequeue(ctx, { ids: list })
    const done = rows.map((r) => r.id)
    if (done.length) io.out.write(`Requeued ${done.join(', ')}\n`)
    return reportSkipped(io, list, done, 'requeued (no such job, or not failed, stopped or canceled)') ? 0 : 1
  },
}

const remove: AdminCommand = {
  describe: 'Delete jobs by id (their dependents are canceled)',
  build: (p) =>
    p
      .command('$0 <ids..>', false)
      .positional('ids', { type: 'string', array: true, demandOption: true })
      .option('yes', yesOption)
      .example('pq-admin delete 3f1c… --yes', 'delete one job without asking'),
  async run(ctx, args, io) {
    const list = ids(args)
    if (
      !(await confirm(
        io,
        args.yes as boolean | undefined,
        `Delete ${list.length} job${list.length === 1 ? '' : 's'} (${list.join(', ')})?`,
        'delete jobs',
      ))
    ) {
      io.err.write('pq-admin: nothing deleted\n')
      return 1
    }
    const { deleted, refused } = await deleteJobs(ctx, list)
    if (deleted.length) io.out.write(`Deleted ${deleted.join(', ')}\n`)
    for (const why of refused) io.err.write(`pq-admin: ${why.message}\n`)
    return refused.length === 0 ? 0 : 1
  },
}

const cancel: AdminCommand = {
  describe: 'Cancel waiting jobs (queued, deferred, scheduled) and their dependents',
  build: (p) => p.command('$0 <ids..>', false).positional('ids', { type: 'string', array: true, demandOption: true }),
  async run(ctx, args, io) {
    const list = ids(args)
    const done = await jobCancel(ctx, { ids: list })
    if (done.length) io.out.write(`Canceled ${done.join(', ')}\n`)
    return reportSkipped(io, list, done, 'canceled (no such job, or not waiting)') ? 0 : 1
  },
}

const empty: AdminCommand = {
  describe: 'Delete every waiting job (queued, deferred, scheduled) of a queue',
  build: (p) =>
    p
      .command('$0 <queue>', false)
      .positional('queue', { type: 'string', demandOption: true })
      .option('yes', yesOption)
      .example('pq-admin empty emails --yes', 'empty a queue from a script'),
  async run(ctx, args, io) {
    const queue = queueName(args.queue)
    const waiting = (await Promise.all(WAITING_STATUSES.map((status) => statsJobCount(ctx, { queue, status })))).reduce((a, b) => a + b, 0)
    if (
      !(await confirm(
        io,
        args.yes as boolean | undefined,
        `Delete the ${waiting} waiting job${waiting === 1 ? '' : 's'} of queue "${queue}"?`,
        'empty a queue',
      ))
    ) {
      io.err.write('pq-admin: nothing deleted\n')
      return 1
    }
    const n = await jobEmptyQueue(ctx, { queue })
    io.out.write(`Deleted ${n} waiting job${n === 1 ? '' : 's'} of queue "${queue}".\n`)
    return 0
  },
}

/** pq-admin's job commands. */
export const JOB_COMMANDS: Record<string, AdminCommand> = { jobs, show, requeue, delete: remove, cancel, empty }
