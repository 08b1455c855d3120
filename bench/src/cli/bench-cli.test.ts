import { describe, expect, it } from '@jest/globals'
import { runCaptured } from '@pq/core/testing'
import { benchCli } from './bench-cli.js'

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => runCaptured((io) => benchCli(argv, env, io))

describe('pq-bench arguments', () => {
  it.each([
    [['--workers', '0'], 'pq-bench: --workers must be a whole number from 1 to 64, got 0'],
    [['-w', '1,x'], 'pq-bench: --workers must be a whole number (e.g. 4 or 1,2,4,6), got "x"'],
    [
      ['--scenario', 'fast'],
      'pq-bench: unknown scenario "fast": use throughput, drain, drain-c1, drain-100k, latency, enqueue, sleep, write-cost, a comma list of them, or all',
    ],
    [
      ['--backend', 'mongo'],
      'pq-bench: unknown backend "mongo": use pq, redis, graphile, limit, a comma list of them, both (pq,redis) or all',
    ],
    [['abc'], 'pq-bench: N must be a whole number (e.g. 20000), got "abc"'],
    [['--bogus'], 'pq-bench: Unknown argument: bogus; see pq-bench --help'],
    [['--chart'], 'pq-bench: --chart needs a file name, e.g. --chart sweep.svg'],
  ])('rejects %j with one line and exit 2', async (argv, line) => {
    const { code, out, err } = await run(argv)
    expect({ code, out, err }).toEqual({ code: 2, out: '', err: `${line}\n` })
  })

  it('prints help on stdout', async () => {
    const { code, out } = await run(['--help'])
    expect(code).toBe(0)
    expect(out).toContain('--scenario')
    expect(out).toContain('pq-bench 50000 -w4 --sleep 250')
  })

  it('says in one line that Redis is not running, and what to do, with exit 2', async () => {
    const { code, out, err } = await run(['--backend', 'redis'], { REDIS_URL: 'redis://127.0.0.1:1' })
    expect(code).toBe(2)
    expect(out).toBe('')
    expect(err).toMatch(/^pq-bench: Redis is not running at redis:\/\/127\.0\.0\.1:1 \(.+\); .*use --backend pq\n$/)
  })
})
