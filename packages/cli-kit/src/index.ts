/** Shared by pq's command-line shells. @internal */
export { runCli, runBin, type CliIo } from './run-cli.js'
export { commandParser, withConnectionOptions, helpShown, parseCommand } from './parser.js'
