import { describe, expect, it } from '@jest/globals'
import { runCli } from './run-cli.js'

describe('runCli', () => {
  it('keeps a password given as a query parameter out of a CLI connection error', async () => {
    let err = ''
    const io = {
      out: { write: () => {} },
      err: {
        write: (t: string) => {
          err += t
        },
      },
    }
    const url = 'postgres://u@127.0.0.1:1/db?password=hunter2'
    const code = await runCli(
      'pq-x',
      async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
      },
      io,
      ['--database-url', url],
    )
    expect(code).toBe(1)
    expect(err).toContain('password=***')
    expect(err).not.toContain('hunter2')
  })
})
