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

/** Connection parameters whose value is secret (password=, sslpassword=, a token...). */
const SECRET_KEY = /pass|pwd|secret|token/i

/**
 * A connection string with every secret masked as `***`, for any output: the URL's userinfo
 * password, secret query parameters (`?password=`, `sslpassword=`...), and the values of secret
 * keys in a key/value DSN (`host=db password='s e c'`). pq's one redaction function.
 */
export function redactConnectionString(text: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim())) {
    try {
      const u = new URL(text.trim())
      if (u.password) u.password = '***'
      for (const key of [...u.searchParams.keys()]) if (SECRET_KEY.test(key)) u.searchParams.set(key, '***')
      return u.toString().replace(/%2A%2A%2A/g, '***')
    } catch {
      // Not a URL after all (a stray character): mask what looks like userinfo and secret params.
      return text.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@').replace(/([?&][^=&]*(?:pass|pwd|secret|token)[^=&]*=)[^&]*/gi, '$1***')
    }
  }
  // A libpq key/value DSN: key = value pairs, values optionally single-quoted with \' escapes.
  return text.replace(/([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/g, (all: string, key: string, eq: string) =>
    SECRET_KEY.test(key) ? `${key}${eq}***` : all,
  )
}

/** Where a connection goes, for messages: the connection string with its secrets masked, or "PG* defaults". */
export function describeConnection(url: string | undefined): string {
  if (!url) return 'the PG* defaults (PGHOST, PGPORT, PGUSER, PGDATABASE)'
  return redactConnectionString(url)
}
