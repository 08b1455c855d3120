#!/usr/bin/env node
// One benchmark worker process (pq or BullMQ), forked by pq-bench with its config as argv[2].
import '../../scripts/dev/source-loader.mjs'

await import('../src/child/child-main.ts')
