import { describe, expect, it } from '@jest/globals'
import { redactConnectionString, describeConnection } from './env.js'

describe('redactConnectionString', () => {
  it.each([
    ['postgres://u:hunter2@db:5432/app', 'postgres://u:***@db:5432/app'],
    ['postgres://u@db/app?password=hunter2&sslmode=require', 'postgres://u@db/app?password=***&sslmode=require'],
    ['postgresql://db/app?sslpassword=hunter2&user=u', 'postgresql://db/app?sslpassword=***&user=u'],
    ['postgres://u:p%40hunter2@db/app?PASSWORD=hunter2', 'postgres://u:***@db/app?PASSWORD=***'],
    ['host=db password=hunter2 user=u', 'host=db password=*** user=u'],
    ["host=db password = 'hunter2 x\\' y' dbname=app", 'host=db password = *** dbname=app'],
    ['redis://:hunter2@localhost:6379', 'redis://:***@localhost:6379'],
    ['postgres://db/app?application_name=x', 'postgres://db/app?application_name=x'],
  ])('masks %s', (input, expected) => {
    expect(redactConnectionString(input)).toBe(expected)
    expect(describeConnection(input)).not.toContain('hunter2')
  })
})
