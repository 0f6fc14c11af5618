import { signRequest } from '../sign'
import { UsageError } from './cli-errors'
import type { CommandSpec } from './command-line'
import { print } from './output'
import { type Context, globals } from './session'

// A token's key ID: the ULID between the prefix and the secret (`<prefix>_<ULID>_<secret>`).
const KEY_ID_IN_TOKEN = /_([0-9A-HJKMNP-TV-Z]{26})_[0-9A-Za-z]{49}$/

/**
 * `sign <method> <target> --token <token>`: the three headers of a request signed with a
 * signing key's token (NCP signature v2), as `name: value` lines (curl's `--header` form) or,
 * with `--json`, one object. Needs no store.
 */
export function signCommand(context: Context): CommandSpec {
  return {
    name: 'sign',
    args: ['<method>', '<target>'],
    summary: 'print the headers that sign a request with a signing key (NCP signature v2)',
    options: [
      {
        name: 'token',
        placeholder: '<token>',
        description: "the signing key's token (the secret key); default $KEYCYCLE_TOKEN",
        env: 'KEYCYCLE_TOKEN',
      },
      {
        name: 'access-key',
        placeholder: '<key-id>',
        description: "the key's ID; default: read from the token",
      },
      {
        name: 'timestamp',
        placeholder: '<epoch-ms>',
        description: 'sign at this time instead of now (the server accepts ±5 minutes)',
        parse: (text) => {
          if (!/^[0-9]{1,16}$/.test(text)) throw new UsageError('--timestamp: epoch milliseconds')
          return Number(text)
        },
      },
    ],
    notes:
      "The target is the request's path and query exactly as it will be sent, no host:\n" +
      "  keycycle sign PATCH '/api/v1//api-keys/key_…' --token kc_…",
    run: async ({ args: [method, target], values }) => {
      globals(values, context)
      const { token, accessKey, timestamp } = values as {
        token?: string
        accessKey?: string
        timestamp?: number
      }
      if (!token) throw new UsageError('--token (or KEYCYCLE_TOKEN) is required')
      const fromToken = KEY_ID_IN_TOKEN.exec(token)?.[1]
      const keyId = accessKey ?? (fromToken && `key_${fromToken}`)
      if (!keyId) throw new UsageError('--access-key: the token does not name its key')
      const headers = await signRequest({
        method: method!,
        target: target!,
        accessKey: keyId,
        secretKey: token,
        ...(timestamp === undefined ? {} : { timestamp }),
      })
      print(context.out, headers, () =>
        Object.entries(headers)
          .map(([name, value]) => `${name}: ${value}`)
          .join('\n'),
      )
    },
  }
}
