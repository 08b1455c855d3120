/** One numbered schema file from migrations/, embedded at build time. */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}
