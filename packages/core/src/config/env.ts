/** What pq reads from the environment; the one place that spells these variable names. */
export interface PqEnv {
  databaseUrl: string | undefined
  schema: string | undefined
  path: string | undefined
  workerTtl: string | undefined
  defaultJobTimeout: string | undefined
  defaultResultTtl: string | undefined
  dashboardToken: string | undefined
  redisUrl: string | undefined
  /** PQ_PREPARED=0 turns named prepared statements off (PgBouncer in transaction mode). */
  prepared: string | undefined
}

/** Reads pq's variables from an environment (process.env in a bin, a plain object in tests). */
export function readEnv(env: Record<string, string | undefined>): PqEnv {
  const get = (name: string) => (env[name] === '' ? undefined : env[name])
  return {
    databaseUrl: get('DATABASE_URL'),
    schema: get('PQ_SCHEMA'),
    path: get('PQ_PATH'),
    workerTtl: get('PQ_WORKER_TTL'),
    defaultJobTimeout: get('PQ_DEFAULT_JOB_TIMEOUT'),
    defaultResultTtl: get('PQ_DEFAULT_RESULT_TTL'),
    dashboardToken: get('PQ_DASHBOARD_TOKEN'),
    redisUrl: get('REDIS_URL'),
    prepared: get('PQ_PREPARED'),
  }
}

/** Where a connection goes, for messages: the URL without its password, or "PG* defaults". */
export function describeConnection(url: string | undefined): string {
  if (!url) return 'the PG* defaults (PGHOST, PGPORT, PGUSER, PGDATABASE)'
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'the given connection string'
  }
}
