import { describe, expect, it } from '@jest/globals'
import { runCaptured } from '@pq/core/testing'
import { runCli } from './run-cli.js'

describe('runCli', () => {
  it('keeps a password given as a query parameter out of a CLI connection error', async () => {
    const url = 'postgres://u@127.0.0.1:1/db?password=hunter2'
    const refused = async (): Promise<number> => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
    }
    const { code, err } = await runCaptured((io) => runCli('pq-x', refused, io, ['--database-url', url]))
    expect(code).toBe(1)
    expect(err).toContain('password=***')
    expect(err).not.toContain('hunter2')
  })
})
