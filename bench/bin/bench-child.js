#!/usr/bin/env node
// One benchmark worker process (pq or BullMQ), forked by pq-bench with its config as argv[2].
import { register } from 'tsx/esm/api'
register()
await import('../src/child/child-main.ts')
