import { InvalidOption } from '../errors.js'

/**
 * Validates a function name: dot-separated JavaScript identifiers with at least a module and an
 * export ('tasks.add', 'emails.welcome.send'). Hyphens are allowed in module segments (file names).
 */
export function functionName(name: unknown, option = 'func'): string {
  if (typeof name !== 'string' || !/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*\.[A-Za-z_$][\w$]*$/.test(name)) {
    throw new InvalidOption(
      option,
      `invalid function name ${JSON.stringify(name)}: use 'module.export', e.g. 'tasks.add' or 'emails.welcome.send'`,
    )
  }
  return name
}
