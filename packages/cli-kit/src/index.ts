/** Shared by pq's command-line shells. @internal */
export { runCli, runBin, type CliIo } from './run-cli.js'
export {
  commandParser,
  withConnectionOptions,
  withEnqueueOptions,
  helpShown,
  versionShown,
  pqVersion,
  parseCommand,
  numberFlag,
  liveSecondsOption,
  liveSecondsFlag,
} from './parser.js'
export { relativeTime } from './relative-time.js'
export { renderTable, cellText, type TextTable, type TableStyle } from './text-table.js'
export { niceAxis, yGrid, yOf, escapeXml, type PlotArea, type ValueAxis } from './svg-chart.js'
