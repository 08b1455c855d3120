// A deliberate mistake: add takes two numbers. tsc must refuse this file.
import { Queue } from '@pq/core'
import './tasks.js'

const queue = new Queue('default')
await queue.enqueue('typed.tasks.add', 1, 'two')
