// Entry of an isolated job thread when the worker runs from its TypeScript source (tests): plain
// JS, so it loads without a loader; tsx then runs the thread body. Built, the worker starts
// isolated-thread.js directly.
import '../../../../scripts/dev/source-loader.mjs'

await import('./isolated-thread.ts')
