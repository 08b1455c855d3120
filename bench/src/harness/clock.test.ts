import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { clockMs } from './clock.js'

const LOADER = fileURLToPath(new URL('../../../scripts/dev/source-loader.mjs', import.meta.url))
const CHILD = fileURLToPath(new URL('./fixtures/clock-child.ts', import.meta.url))

function nextMessage(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve) => child.once('message', resolve))
}

// The latency scenario subtracts the producer's stamp from a worker process's stamp, so a stamp taken
// in another process must fall between this process's stamps before the request and after the reply.
describe('clockMs across processes', () => {
  let child: ChildProcess
  beforeAll(async () => {
    child = fork(CHILD, [], { execArgv: ['--import', LOADER], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    expect(await nextMessage(child)).toBe('ready')
  })
  afterAll(() => {
    child.kill()
  })

  it("orders a child's stamps between the parent's request and reply", async () => {
    const outOfOrder: { before: number; child: number; after: number }[] = []
    for (let i = 0; i < 200; i++) {
      const before = clockMs()
      const reply = nextMessage(child)
      child.send('stamp')
      const stamp = (await reply) as number
      const after = clockMs()
      if (!(before <= stamp && stamp <= after)) outOfOrder.push({ before, child: stamp, after })
    }
    expect(outOfOrder).toEqual([])
  })
})
