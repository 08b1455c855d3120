import { describe, expect, it } from '@jest/globals'
import { sameOriginPath } from './security.js'

// Issue 13, item 8: the `back` field of an action may only send the browser to a path of this site.
describe('sameOriginPath', () => {
  it.each([
    '/\t/evil.example/',
    '/\n/evil.example/',
    '/\r\n/evil.example',
    '//evil.example/',
    '/\\evil.example',
    '\\\\evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    '/ok\u0000',
    '/ok\u007f',
    'relative/path',
    '',
    '/ok\nSet-Cookie: x=1',
  ])('refuses %j (gives "/")', (back) => {
    expect(sameOriginPath(back)).toBe('/')
  })

  it.each(['/', '/queues/default?status=failed&page=2', '/jobs/abc%2Fdef', '/workers'])('keeps %j', (back) => {
    expect(sameOriginPath(back)).toBe(back)
  })
})
