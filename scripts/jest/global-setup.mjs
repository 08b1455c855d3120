// Jest loads global setup outside its own module system; tsx lets it run the TypeScript sources.
import { register } from 'tsx/esm/api'

register()
const { default: globalSetup } = await import('../../packages/core/src/testing/global-setup.ts')
export default globalSetup
