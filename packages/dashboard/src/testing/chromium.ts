import { chromium, type Browser } from 'playwright-core'

/** Where Chromium is: one place, so CI's discovery (an env var, the usual paths) can replace it. */
export function chromiumPath(): string {
  return process.env.PQ_CHROMIUM ?? '/usr/bin/chromium'
}

/** Debian's headless Chromium, with the flags that keep it off the network and the GPU. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  })
}
