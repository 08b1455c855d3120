/**
 * What a Postgres-backed queue writes per job, counted for the write-cost scenario: row versions per
 * table (and how many updates were HOT) and index entries per index.
 *
 * Postgres counts row writes (pg_stat_user_tables: n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del)
 * but not index insertions, so those are derived. An index gets one entry for every new row version
 * that is not a HOT update and that satisfies the index's predicate (a partial index). To know both,
 * the probe puts an AFTER row trigger on every table of the backend's schema for the measurement only;
 * for each version it logs whether an update changed a column any index reads (keys, INCLUDE,
 * expressions, predicates: then it cannot be HOT) and, per index, whether the new version satisfies
 * the predicate. Entries per index are then
 *   inserts satisfying it + updates that changed an index-read column and satisfy it
 *   + updates that changed no such column, were still not HOT (pg_stat's HOT count says how many),
 *     and satisfy it (shared out in proportion when only some of them were HOT).
 * Row versions and deletes are the trigger's counts; pg_stat gives only the HOT count. Statistics
 * reach pg_stat late (a session flushes its counts at most once a second, and an idle one up to 10 s
 * later), so the probe waits until pg_stat's deltas have caught up with the trigger's counts. They may
 * exceed them: another session's earlier writes flushed late into the window. Those come from the
 * bench's producer connections (inserts, never HOT); worker processes flush when they exit, before the
 * window opens, so the HOT count stays this run's.
 * Index and heap size growth (pg_relation_size) are reported beside, as a cross-check in bytes.
 */
import pg from 'pg'
import { delay } from '../harness/clock.js'

/** One table's writes during the measurement. */
export interface TableWrites {
  readonly table: string
  readonly inserts: number
  readonly updates: number
  readonly hotUpdates: number
  readonly deletes: number
  readonly heapBytes: number
}

/** One index's entries during the measurement. */
export interface IndexWrites {
  readonly table: string
  readonly index: string
  /** The index as `pg_get_indexdef` prints it, schema left out. */
  readonly definition: string
  readonly entries: number
  readonly bytes: number
}

export interface WriteCost {
  readonly tables: readonly TableWrites[]
  readonly indexes: readonly IndexWrites[]
  /** False when pg_stat's counts never caught up with the trigger's within 15 s (its HOT count may be short). */
  readonly statsAgree: boolean
}

interface IndexInfo {
  readonly oid: number
  readonly name: string
  readonly definition: string
  readonly predicate: string | null
}

interface TableInfo {
  readonly oid: number
  readonly name: string
  /** Columns any index of the table reads: changing one rules a HOT update out. */
  readonly indexedColumns: readonly string[]
  readonly indexes: readonly IndexInfo[]
}

interface Snapshot {
  readonly tables: Map<string, { ins: number; upd: number; hot: number; del: number; bytes: number }>
  readonly indexBytes: Map<string, number>
}

const STATS_WAIT_MS = 15_000

/** A write-cost probe on one schema: `install`, run the jobs, then `measure`, then `remove`. */
export class WriteCostProbe {
  readonly #client: pg.Client
  readonly #schema: string
  readonly #logSchema: string
  #tables: TableInfo[] = []
  #before: Snapshot | null = null

  private constructor(client: pg.Client, schema: string) {
    this.#client = client
    this.#schema = schema
    this.#logSchema = `${schema}_write_cost`
  }

  static async open(databaseUrl: string, schema: string): Promise<WriteCostProbe> {
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    // Read the statistics afresh on every query, not from a snapshot cached for the transaction.
    await client.query(`set stats_fetch_consistency = none`)
    return new WriteCostProbe(client, schema)
  }

  /** Puts the logging trigger on every table of the schema, then records the counters it starts from. */
  async install(): Promise<void> {
    const c = this.#client
    const log = c.escapeIdentifier(this.#logSchema)
    await this.#removeTriggers()
    await c.query(`drop schema if exists ${log} cascade`)
    await c.query(`create schema ${log}`)
    await c.query(`create unlogged table ${log}.version_log (tbl oid not null, op text not null, blocking boolean, preds boolean[])`)
    this.#tables = await this.#describe()
    for (const t of this.#tables) {
      const cols = t.indexedColumns.map((col) => c.escapeIdentifier(col))
      const blocking = cols.length
        ? `(${cols.map((col) => `OLD.${col}`).join(', ')}, null) is distinct from (${cols.map((col) => `NEW.${col}`).join(', ')}, null)`
        : 'false'
      const preds = t.indexes.length
        ? `array[${t.indexes.map((i) => (i.predicate ? `coalesce((${i.predicate}), false)` : 'true')).join(', ')}]::boolean[]`
        : `'{}'::boolean[]`
      const fn = `${log}.${c.escapeIdentifier(`log_${t.oid}`)}`
      await c.query(`create function ${fn}() returns trigger language plpgsql as $body$
        begin
          if TG_OP = 'DELETE' then
            insert into ${log}.version_log (tbl, op) values (${t.oid}, 'DELETE');
          elsif TG_OP = 'INSERT' then
            insert into ${log}.version_log (tbl, op, blocking, preds) select ${t.oid}, 'INSERT', true, ${preds} from (select (NEW).*) t;
          else
            insert into ${log}.version_log (tbl, op, blocking, preds) select ${t.oid}, 'UPDATE', ${blocking}, ${preds} from (select (NEW).*) t;
          end if;
          return null;
        end $body$`)
      await c.query(`create trigger pq_bench_write_cost after insert or update or delete on ${c.escapeIdentifier(this.#schema)}.${c.escapeIdentifier(t.name)}
        for each row execute function ${fn}()`)
    }
    await delay(1100) // other sessions' pending counts (flushed at most once a second) land before the baseline
    this.#before = await this.#snapshot()
  }

  /** Waits for the statistics to catch up with the trigger's log, then returns the writes since install. */
  async measure(): Promise<WriteCost> {
    const before = this.#before
    if (!before) throw new Error('WriteCostProbe.measure before install')
    const logged = await this.#logged()
    let after = await this.#snapshot()
    const deadline = Date.now() + STATS_WAIT_MS
    const agree = (s: Snapshot): boolean =>
      this.#tables.every((t) => {
        const a = s.tables.get(t.name)
        const b = before.tables.get(t.name)
        const l = logged.get(t.oid)
        const d = (k: 'ins' | 'upd' | 'del'): number => (a?.[k] ?? 0) - (b?.[k] ?? 0)
        return d('ins') >= (l?.inserts ?? 0) && d('upd') >= (l?.updates ?? 0) && d('del') >= (l?.deletes ?? 0)
      })
    while (!agree(after) && Date.now() < deadline) {
      await delay(250)
      after = await this.#snapshot()
    }
    const tables: TableWrites[] = []
    const indexes: IndexWrites[] = []
    for (const t of this.#tables) {
      const a = after.tables.get(t.name)
      const b = before.tables.get(t.name)
      const l = logged.get(t.oid) ?? emptyLog(t.indexes.length)
      const hot = (a?.hot ?? 0) - (b?.hot ?? 0)
      tables.push({
        table: t.name,
        inserts: l.inserts,
        updates: l.updates,
        hotUpdates: hot,
        deletes: l.deletes,
        heapBytes: (a?.bytes ?? 0) - (b?.bytes ?? 0),
      })
      // Updates that could have been HOT but were not (a full page) still wrote an entry to each index.
      const eligible = l.updates - l.blockingUpdates
      const notHotShare = eligible > 0 ? Math.max(0, eligible - hot) / eligible : 0
      t.indexes.forEach((i, k) => {
        const entries = l.insertsMatching[k]! + l.blockingMatching[k]! + l.eligibleMatching[k]! * notHotShare
        indexes.push({
          table: t.name,
          index: i.name,
          definition: i.definition,
          entries,
          bytes: (after.indexBytes.get(i.name) ?? 0) - (before.indexBytes.get(i.name) ?? 0),
        })
      })
    }
    return { tables, indexes, statsAgree: agree(after) }
  }

  /** Drops the triggers and the log; the backend's tables are as they were. */
  async remove(): Promise<void> {
    await this.#removeTriggers()
    await this.#client.query(`drop schema if exists ${this.#client.escapeIdentifier(this.#logSchema)} cascade`)
  }

  async close(): Promise<void> {
    await this.#client.end()
  }

  async #removeTriggers(): Promise<void> {
    const { rows } = await this.#client.query<{ name: string }>(
      `select c.relname as name from pg_trigger g join pg_class c on c.oid = g.tgrelid join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and g.tgname = 'pq_bench_write_cost'`,
      [this.#schema],
    )
    for (const { name } of rows) {
      await this.#client.query(
        `drop trigger pq_bench_write_cost on ${this.#client.escapeIdentifier(this.#schema)}.${this.#client.escapeIdentifier(name)}`,
      )
    }
  }

  /** The schema's tables, their indexes (predicates as SQL) and the columns those indexes read. */
  async #describe(): Promise<TableInfo[]> {
    const { rows: tables } = await this.#client.query<{ oid: number; name: string }>(
      `select c.oid::int as oid, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.relkind = 'r' order by c.relname`,
      [this.#schema],
    )
    const out: TableInfo[] = []
    for (const t of tables) {
      const { rows: indexes } = await this.#client.query<IndexInfo>(
        `select i.indexrelid::int as oid, c.relname as name,
           replace(pg_get_indexdef(i.indexrelid), quote_ident($2) || '.', '') as definition,
           pg_get_expr(i.indpred, i.indrelid) as predicate
         from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = $1 order by c.relname`,
        [t.oid, this.#schema],
      )
      // Index creation records a dependency on every column it reads, expressions and predicate included.
      const { rows: cols } = await this.#client.query<{ name: string }>(
        `select distinct a.attname as name from pg_depend d
           join pg_index i on i.indexrelid = d.objid and i.indrelid = $1
           join pg_attribute a on a.attrelid = $1 and a.attnum = d.refobjsubid
         where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjid = $1 and d.refobjsubid > 0
         union
         select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey::int2[])
         where i.indrelid = $1 order by 1`,
        [t.oid],
      )
      out.push({ oid: t.oid, name: t.name, indexedColumns: cols.map((r) => r.name), indexes })
    }
    return out
  }

  async #snapshot(): Promise<Snapshot> {
    const { rows: tables } = await this.#client.query<{ name: string; ins: string; upd: string; hot: string; del: string; bytes: string }>(
      `select relname as name, n_tup_ins as ins, n_tup_upd as upd, n_tup_hot_upd as hot, n_tup_del as del, pg_relation_size(relid) as bytes
       from pg_stat_user_tables where schemaname = $1`,
      [this.#schema],
    )
    const { rows: indexes } = await this.#client.query<{ name: string; bytes: string }>(
      `select indexrelname as name, pg_relation_size(indexrelid) as bytes from pg_stat_user_indexes where schemaname = $1`,
      [this.#schema],
    )
    return {
      tables: new Map(
        tables.map((r) => [
          r.name,
          { ins: Number(r.ins), upd: Number(r.upd), hot: Number(r.hot), del: Number(r.del), bytes: Number(r.bytes) },
        ]),
      ),
      indexBytes: new Map(indexes.map((r) => [r.name, Number(r.bytes)])),
    }
  }

  /** The trigger's log, per table: versions, and per index how many satisfied its predicate. */
  async #logged(): Promise<Map<number, LoggedWrites>> {
    const log = this.#client.escapeIdentifier(this.#logSchema)
    const { rows } = await this.#client.query<{ tbl: number; op: string; blocking: boolean | null; preds: boolean[] | null; n: number }>(
      `select tbl::int as tbl, op, blocking, preds, count(*)::int as n from ${log}.version_log group by 1, 2, 3, 4`,
    )
    const out = new Map<number, LoggedWrites>()
    for (const r of rows) {
      const table = this.#tables.find((t) => t.oid === r.tbl)
      if (!table) continue
      const l = out.get(r.tbl) ?? emptyLog(table.indexes.length)
      out.set(r.tbl, l)
      if (r.op === 'DELETE') {
        l.deletes += r.n
        continue
      }
      const preds = r.preds ?? []
      if (r.op === 'INSERT') {
        l.inserts += r.n
        preds.forEach((p, k) => {
          if (p) l.insertsMatching[k]! += r.n
        })
      } else {
        l.updates += r.n
        if (r.blocking) l.blockingUpdates += r.n
        const into = r.blocking ? l.blockingMatching : l.eligibleMatching
        preds.forEach((p, k) => {
          if (p) into[k]! += r.n
        })
      }
    }
    return out
  }
}

interface LoggedWrites {
  inserts: number
  updates: number
  blockingUpdates: number
  deletes: number
  insertsMatching: number[]
  blockingMatching: number[]
  eligibleMatching: number[]
}

function emptyLog(indexes: number): LoggedWrites {
  const zeros = (): number[] => Array.from({ length: indexes }, () => 0)
  return {
    inserts: 0,
    updates: 0,
    blockingUpdates: 0,
    deletes: 0,
    insertsMatching: zeros(),
    blockingMatching: zeros(),
    eligibleMatching: zeros(),
  }
}
