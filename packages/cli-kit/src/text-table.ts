/**
 * pq's one text-table renderer: pq-admin's listings and pq-stats' health lines (`plain`, like `ps`),
 * pq-stats' queue table (`boxed`, like rqstats) and pq-bench's report (`markdown`, so the README can
 * hold it as printed).
 */

/** A table to draw: cells are plain text (one line each; see {@link cellText}). */
export interface TextTable {
  readonly header: readonly string[]
  readonly rows: readonly (readonly string[])[]
  /** Per column; missing ones align left. @defaultValue all 'left' */
  readonly align?: readonly ('left' | 'right')[]
  /** Per column, the narrowest it may be. @defaultValue 3 for markdown (its rule needs them), else 0 */
  readonly minWidths?: readonly number[]
  /** A boxed table with no rows shows this line across it instead. */
  readonly empty?: string
}

/**
 * `plain`: columns two spaces apart, no borders. `boxed`: `| a | b |` rows between dashed rules.
 * `markdown`: a GitHub table whose rule carries the alignment. No trailing newline.
 */
export type TableStyle = 'plain' | 'boxed' | 'markdown'

/** Lays the table out in columns padded to their widest cell. */
export function renderTable(table: TextTable, style: TableStyle): string {
  const all = [table.header, ...table.rows]
  const floor = style === 'markdown' ? 3 : 0
  const widths = table.header.map((_, i) => Math.max(table.minWidths?.[i] ?? floor, ...all.map((r) => (r[i] ?? '').length)))
  const right = (i: number) => table.align?.[i] === 'right'
  const pad = (text: string, i: number) => (right(i) ? text.padStart(widths[i]!) : text.padEnd(widths[i]!))
  const cells = (row: readonly string[]) => table.header.map((_, i) => pad(row[i] ?? '', i))
  if (style === 'plain') return all.map((row) => cells(row).join('  ').trimEnd()).join('\n')
  const line = (row: readonly string[]) => `| ${cells(row).join(' | ')} |`
  const header = line(table.header)
  if (style === 'markdown') {
    const rule = `| ${widths.map((w, i) => (right(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`
    return [header, rule, ...table.rows.map(line)].join('\n')
  }
  const rule = '-'.repeat(header.length)
  const body =
    table.rows.length === 0 && table.empty !== undefined ? [`| ${table.empty.padEnd(header.length - 4)} |`] : table.rows.map(line)
  return [rule, header, rule, ...body, rule].join('\n')
}

/** A one-line, shortened form of a value for a table cell. */
export function cellText(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ')
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
