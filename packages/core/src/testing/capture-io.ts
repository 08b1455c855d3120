import type { CliIo } from '@pq/cli-kit'

/** A CliIo that keeps what a command printed, for tests that call CLI functions directly. */
export function captureIo(): CliIo & { stdout: () => string; stderr: () => string } {
  let out = ''
  let err = ''
  return {
    out: {
      write: (text: string) => {
        out += text
        return true
      },
    },
    err: {
      write: (text: string) => {
        err += text
        return true
      },
    },
    stdout: () => out,
    stderr: () => err,
  }
}
