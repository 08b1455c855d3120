import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it, jest } from '@jest/globals'
import { REPO_ROOT } from '@pq/core/testing'

// The leftover guard of scripts/jest/test-environment.mjs, seen from outside: a child jest runs a
// fixture whose tests leave workers running (or do not), and its results say which tests failed why.
jest.setTimeout(60_000)

interface JestJson {
  testResults: { message: string; assertionResults: { title: string; status: string; failureMessages: string[] }[] }[]
}

async function runFixture(): Promise<JestJson> {
  const args = ['--experimental-vm-modules', '--no-warnings', 'node_modules/jest/bin/jest.js']
  args.push('--config', join(REPO_ROOT, 'scripts/jest/fixtures/jest.config.js'), '--json', '--ci')
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (!out.startsWith('{')) throw new Error(`the fixture's jest (exit ${code}) printed no results: ${err}`)
  return JSON.parse(out) as JestJson
}

describe('the leftover-worker guard', () => {
  it('fails the test that left a worker running and the file for one a beforeAll left, and no other', async () => {
    const [file] = (await runFixture()).testResults
    const result = (title: string) => file!.assertionResults.find((a) => a.title === title)!
    expect(result('leaves its worker running').status).toBe('failed')
    expect(result('leaves its worker running').failureMessages.join('\n')).toContain(
      "the test left worker left-by-a-test running: nothing stopped it, not even the file's afterAll hooks",
    )
    expect(result('stops its worker')).toMatchObject({ status: 'passed', failureMessages: [] })
    expect(result('hands its worker to afterAll')).toMatchObject({ status: 'passed', failureMessages: [] })
    expect(file!.message).toContain("worker started-in-before-all was still running after the file's afterAll hooks")
    expect(file!.message).not.toContain('stopped-')
  })
})
