import { describe, expect, it } from '@jest/globals'
import { runCli } from '@pq/cli-kit'
import { useTestDatabase, FIXTURES_PATH, runCaptured } from '@pq/core/testing'
import { workerCli } from './worker-cli.js'

const db = useTestDatabase()

/** Runs pq-worker in-process on flags that must be refused before any worker starts. */
const run = (...argv: string[]) =>
  runCaptured((io) =>
    runCli('pq-worker', () => workerCli(argv, { DATABASE_URL: db.url, PQ_PATH: FIXTURES_PATH }, io, { onSignal: () => {} }), io, argv),
  )

describe('pq-worker refuses bad flag values at start, naming the flag', () => {
  it.each([
    [['-c', 'abc'], 'pq-worker: invalid --concurrency "abc": use a whole number from 1 to 1000, e.g. --concurrency 4\n'],
    [['--concurrency', '0'], 'pq-worker: invalid --concurrency "0": use a whole number from 1 to 1000, e.g. --concurrency 4\n'],
    [
      ['--path', '/nonexistent/tasks'],
      'pq-worker: --path "/nonexistent/tasks" is not a directory (/nonexistent/tasks); give the folder your task modules live in\n',
    ],
    [
      ['--stop', 'x', '--terminate'],
      'pq-worker: --stop NAME and --terminate cannot go together: --stop asks one worker, --terminate every live worker; pass one of them\n',
    ],
  ])('%j', async (argv, message) => {
    expect(await run(...argv)).toEqual({ code: 2, out: '', err: message })
  })

  it('names --worker-ttl, not the option workerTtl', async () => {
    const { code, err } = await run('--worker-ttl', 'soon', '--burst')
    expect(code).toBe(2)
    expect(err).toMatch(/^pq-worker: invalid --worker-ttl "soon"/)
    expect(err).not.toMatch(/workerTtl/)
  })

  it('resolves --exception-handler at start: an unknown one is refused before any job runs', async () => {
    const { code, err } = await run('--exception-handler', 'fixtures.nosuch', '--burst')
    expect(code).toBe(2)
    expect(err).toMatch(/^pq-worker: unknown function "fixtures.nosuch"/)
    expect(err.trim().split('\n')).toHaveLength(1)
  })
})
