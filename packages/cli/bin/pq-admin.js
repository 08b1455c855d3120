#!/usr/bin/env node
// The installed command: runs the compiled JavaScript (built into dist/ by `tsc -b`, before packing).
import '../dist/bin/pq-admin.js'
