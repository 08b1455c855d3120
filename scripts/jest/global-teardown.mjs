import { register } from 'tsx/esm/api'

register()
const { default: globalTeardown } = await import('../../packages/core/src/testing/global-teardown.ts')
export default globalTeardown
