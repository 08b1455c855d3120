// Jest loads global setup outside its own module system; tsx (with the root tsconfig's paths) lets
// it run the TypeScript sources.
import '../dev/source-loader.mjs'

const { default: globalSetup } = await import('../../packages/core/src/testing/global-setup.ts')
export default globalSetup
