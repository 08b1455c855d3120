#!/usr/bin/env node
// Runs the TypeScript source through tsx, which also loads users' TypeScript task files.
import { register } from 'tsx/esm/api'

register()
await import('../src/bin/pq-dashboard.ts')
