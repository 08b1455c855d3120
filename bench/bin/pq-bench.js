#!/usr/bin/env node
// pq-bench runs from the workspace, on pq's TypeScript sources (through tsx); what it measures of
// start-up runs the built packages with plain node.
import '../../scripts/dev/source-loader.mjs'

await import('../src/bin/pq-bench.ts')
