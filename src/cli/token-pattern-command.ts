import { tokenPatternFor } from '../core/secret-scanning'
import type { CommandSpec } from './command-line'
import { print } from './output'
import { type Context, globals } from './session'

/**
 * `token-pattern`: the regular expression of this host's tokens (`--token-prefix`, default
 * `kc`), to register with GitHub's secret scanning partner program. Needs no store.
 */
export function tokenPatternCommand(context: Context): CommandSpec {
  return {
    name: 'token-pattern',
    summary: "print the regular expression of the tokens' shape, for GitHub secret scanning",
    run: async ({ values }) => {
      const options = globals(values, context)
      const prefix = options.tokenPrefix ?? 'kc'
      const pattern = tokenPatternFor(prefix)
      print(context.out, { token_prefix: prefix, pattern }, () => pattern)
    },
  }
}
