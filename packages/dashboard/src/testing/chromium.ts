import { existsSync } from 'node:fs'
import { describe } from '@jest/globals'
import { chromium, type Browser } from 'playwright-core'

/**
 * The browser for the dashboard's tests: PQ_CHROMIUM (or CHROMIUM_PATH) when set, else the usual
 * install paths. Outside CI a machine without one skips the browser tests with one line saying how
 * to run them; in CI (CI=true) a missing browser fails them, so the suite can't go quietly green.
 */
const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
]
const CHROMIUM_SET = process.env.PQ_CHROMIUM || process.env.CHROMIUM_PATH || undefined
const IN_CI = /^(1|true)$/i.test(process.env.CI ?? '')
const HOW = 'install Chromium (Debian: apt-get install -y chromium) or set PQ_CHROMIUM to a Chromium or Chrome binary'

/** Where Chromium is, or undefined when none was found. */
export function chromiumPath(): string | undefined {
  return CHROMIUM_SET ?? CHROMIUM_CANDIDATES.find((p) => existsSync(p))
}

/**
 * `describe` for tests that need the browser: `describe.skip` (with one printed line) on a machine
 * without Chromium, unless in CI, where the launch then fails the tests.
 */
export function describeInBrowser(file: string): typeof describe | typeof describe.skip {
  if (chromiumPath() || IN_CI) return describe
  process.stderr.write(`${file}: browser tests skipped, no Chromium found; to run them, ${HOW}\n`)
  return describe.skip
}

/** Headless Chromium, with the flags that keep it off the network and the GPU. */
export function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath()
  if (!executablePath || !existsSync(executablePath)) {
    return Promise.reject(new Error(`no Chromium at ${executablePath ?? CHROMIUM_CANDIDATES.join(', ')}: ${HOW}`))
  }
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
