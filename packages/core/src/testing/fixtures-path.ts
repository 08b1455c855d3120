import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The tasks root of pq's test fixtures: 'fixtures.add' is export `add` of fixtures/fixtures.ts... under it. */
export const FIXTURES_PATH = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
