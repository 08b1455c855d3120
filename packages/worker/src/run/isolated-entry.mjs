// Entry of an isolated job thread. Plain JS, so it loads without a loader; tsx then runs the
// TypeScript thread body (and the user's TypeScript task files).
import { register } from 'tsx/esm/api'

register()
await import('./isolated-thread.ts')
