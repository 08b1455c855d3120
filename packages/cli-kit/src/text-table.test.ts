import { describe, expect, it } from '@jest/globals'
import { cellText, renderTable, type TextTable } from './text-table.js'

const table: TextTable = {
  header: ['Name', 'Jobs'],
  rows: [
    ['default', '1,234'],
    ['low', '5'],
  ],
  align: ['left', 'right'],
}

describe('renderTable', () => {
  it('draws plain columns two spaces apart, without trailing blanks', () => {
    expect(
      renderTable(
        {
          header: ['Name', 'State'],
          rows: [
            ['w1', 'busy'],
            ['worker-2', 'idle'],
          ],
        },
        'plain',
      ),
    ).toBe('Name      State\nw1        busy\nworker-2  idle')
  })

  it('draws a boxed table between dashed rules, and its empty line when there are no rows', () => {
    expect(renderTable(table, 'boxed')).toBe(
      [
        '-------------------',
        '| Name    |  Jobs |',
        '-------------------',
        '| default | 1,234 |',
        '| low     |     5 |',
        '-------------------',
      ].join('\n'),
    )
    expect(renderTable({ ...table, rows: [], empty: '(none)', minWidths: [8, 5] }, 'boxed').split('\n')[3]).toBe('| (none)           |')
  })

  it('draws a markdown table whose rule says which columns align right', () => {
    expect(renderTable(table, 'markdown')).toBe('| Name    |  Jobs |\n| ------- | ----: |\n| default | 1,234 |\n| low     |     5 |')
  })
})

describe('cellText', () => {
  it('flattens whitespace and shortens long text with an ellipsis', () => {
    expect(cellText('a\n  b', 10)).toBe('a b')
    expect(cellText('abcdefghijkl', 5)).toBe('abcd…')
  })
})
