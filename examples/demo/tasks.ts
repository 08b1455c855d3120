/** The demo's tasks: 'tasks.<export>' with examples/demo as the tasks root. */
import { getCurrentJob } from '@pq/core'

export function add(a: number, b: number): number {
  return a + b
}

export async function sendWelcome(email: string): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 20))
  return `welcome mail sent to ${email}`
}

export async function resize(image: string, kwargs: { width: number }): Promise<string> {
  const job = getCurrentJob()!
  for (const step of [0.5, 1]) {
    job.meta.progress = step
    await job.saveMeta()
  }
  return `${image} resized to ${kwargs.width}px`
}

export function explode(): never {
  throw new Error('this task always fails')
}
