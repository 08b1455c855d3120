import { createInterface } from 'node:readline/promises'
import { UsageError } from '@pq/core'
import type { CliIo } from '@pq/cli-kit'

/** pq-admin's streams: CliIo plus the input it asks confirmations on. */
export interface AdminIo extends CliIo {
  in?: NodeJS.ReadableStream & { isTTY?: boolean }
}

/** The --yes flag that `confirm` reads, for every command that asks first. */
export const yesOption = { type: 'boolean', alias: 'y', describe: 'Do not ask for confirmation' } as const

/**
 * Asks before a destructive command. `--yes` skips the question; on a terminal the user answers
 * y/N; anywhere else (cron, a pipe) the command refuses, since nobody can answer.
 */
export async function confirm(io: AdminIo, yes: boolean | undefined, question: string, command: string): Promise<boolean> {
  if (yes) return true
  if (!io.in?.isTTY) {
    throw new UsageError(`refusing to ${command} without --yes: stdin is not a terminal to confirm on; add --yes to go ahead`)
  }
  const rl = createInterface({ input: io.in, output: io.err as NodeJS.WritableStream })
  try {
    const answer = await rl.question(`${question} [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}
