// Workspace only (never shipped): runs pq's TypeScript sources through tsx with the root tsconfig's
// `paths`, so `@pq/*` resolve to packages/*/src whatever the process's working directory. Used as
// `node --import ./scripts/dev/source-loader.mjs packages/worker/src/bin/pq-worker.ts` by process
// tests, the jest global setup, pnpm demo and pq-bench; installed packages run dist/ instead.
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) })
