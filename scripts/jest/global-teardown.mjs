import '../dev/source-loader.mjs'

const { default: globalTeardown } = await import('../../packages/core/src/testing/global-teardown.ts')
export default globalTeardown
