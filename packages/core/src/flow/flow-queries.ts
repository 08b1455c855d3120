import type { QueryContext } from '../db/query-context.js'
import type { FlowRow } from '../db/tables.js'

// A flow row is written only together with its steps, in jobInsertMany's statement (see FlowInsert
// there), and deleted by the TTL sweep (jobSweepExpired) once its final job is gone: the reads below
// are all this table needs of its own.

/** One flow by id, or undefined. */
export async function flowFetch(q: QueryContext, p: { id: string }): Promise<FlowRow | undefined> {
  return q.db.withSchema(q.schema).selectFrom('flow').selectAll().where('id', '=', p.id).executeTakeFirst()
}

/** Every flow with this name, newest first (flow_name_idx). */
export async function flowFindByName(q: QueryContext, p: { name: string }): Promise<FlowRow[]> {
  return q.db.withSchema(q.schema).selectFrom('flow').selectAll().where('name', '=', p.name)
    .orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
}
