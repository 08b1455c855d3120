import { PassThrough } from 'node:stream'

/**
 * Where a command under test writes, keeping what it wrote. It has the shape of @pq/cli-kit's CliIo
 * (core sits below the CLI kit, so it does not name that type); `err.on` / `once` are there for a
 * prompt's readline, which listens on its output.
 */
export interface CapturedIo {
  readonly out: { write(text: string): boolean; isTTY?: boolean }
  readonly err: { write(text: string): boolean; on(): void; once(): void }
  readonly in?: NodeJS.ReadableStream & { isTTY?: boolean }
  stdout(): string
  stderr(): string
}

export interface CaptureOptions {
  /** stdout claims to be a terminal (a command that redraws in place). */
  tty?: boolean
  /** stdin is a terminal that types this line (a command that asks first). */
  answer?: string
  /** stdin as given, e.g. process.stdin. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean }
}

/** A CapturedIo: pass it as a command's io, then read `stdout()` / `stderr()`. */
export function captureIo(options: CaptureOptions = {}): CapturedIo {
  let out = ''
  let err = ''
  let input = options.stdin
  if (options.answer !== undefined) {
    const typed = Object.assign(new PassThrough(), { isTTY: true })
    typed.end(`${options.answer}\n`)
    input = typed
  }
  return {
    out: {
      write: (text: string) => {
        out += text
        return true
      },
      ...(options.tty ? { isTTY: true } : {}),
    },
    err: {
      write: (text: string) => {
        err += text
        return true
      },
      on: () => {},
      once: () => {},
    },
    ...(input ? { in: input } : {}),
    stdout: () => out,
    stderr: () => err,
  }
}

/**
 * Runs a command's main in-process on a CapturedIo and returns its exit code and output, e.g.
 * `runCaptured((io) => runCli('pq-admin', () => adminCli(argv, env, io), io, argv))`.
 */
export async function runCaptured(
  main: (io: CapturedIo) => Promise<number>,
  options: CaptureOptions = {},
): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo(options)
  const code = await main(io)
  return { code, out: io.stdout(), err: io.stderr() }
}
