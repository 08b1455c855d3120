import type { QueryContext } from '../db/query-context.js'
import { InvalidState, NoSuchJob } from '../errors.js'
import { jobFetchMany } from './job-read.js'
import { jobDelete } from './job-operations.js'

/** What `deleteJobs` did: the ids deleted, and why each other one was not. */
export interface DeleteResult {
  deleted: string[]
  /** A one-line refusal per id not deleted: NoSuchJob, or InvalidState for a running job. */
  refused: (NoSuchJob | InvalidState)[]
}

/**
 * Deletes jobs (their dependents are canceled), refusing running ones: pq's one rule for deleting,
 * shared by the API, pq-admin and the dashboard. Reads the refused rows only when some were refused.
 * @internal
 */
export async function deleteJobs(q: QueryContext, ids: readonly string[]): Promise<DeleteResult> {
  const deleted = await jobDelete(q, { ids: [...ids] })
  const left = ids.filter((id) => !deleted.includes(id))
  if (left.length === 0) return { deleted, refused: [] }
  const rows = new Map((await jobFetchMany(q, { ids: left })).map((r) => [r.id, r]))
  const refused = left.map((id) => {
    const row = rows.get(id)
    if (!row) return new NoSuchJob(id, 'it was deleted or its TTL expired')
    return new InvalidState(
      `job ${id} is running on worker ${row.worker ?? '?'}; a running job cannot be deleted: wait until it ends, then delete it`,
    )
  })
  return { deleted, refused }
}
