#!/usr/bin/env node
// pq-bench-startup: what starting pq costs beside importing pg (see bench/src/startup).
import '../../scripts/dev/source-loader.mjs'

await import('../src/startup/startup-main.ts')
