import type { Readable, Writable } from 'node:stream'
import { KeycycleError } from '../core/errors'
import type { ActorHandle } from '../service/handle'
import { createKeycycle, type Keycycle } from '../service/keycycle'
import { UsageError } from './cli-errors'
import { ERROR_EXIT, EXIT } from './exit-codes'
import type { Flag } from './flags'
import { type OpenedStore, openStore } from './open-store'
import { note, type Output } from './output'

/** What the CLI reads and writes; the process's own in the binary. */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean }
  stderr: Writable
  stdin: Readable
  env: Record<string, string | undefined>
}

/** One run of the CLI: its I/O, its output settings, and what a failure is reported against. */
export interface Context {
  io: CliIo
  out: Output
  /** The flags of the command running, so an error can name the flag rather than the field. */
  flags: Flag[]
  /** The exit status of a command that completed with a refusal (e.g. `verify`). */
  exit: number
}

/** The options every command takes, before or after its name. */
export interface Globals {
  store?: string
  prefix?: string
  admin: string
  org?: string
  json?: boolean
  showToken?: boolean
  tokenPrefix?: string
}

/** The global options among a command's values; also settles the output settings. */
export function globals(values: Record<string, unknown>, context: Context): Globals {
  const options = values as unknown as Globals
  context.out.json = options.json === true
  context.out.showToken = options.showToken === true || context.io.stdout.isTTY === true
  return options
}

/** Opens the store the global options name, runs `work`, and closes it whatever happens. */
export async function withStore<T>(
  options: Globals,
  work: (opened: OpenedStore) => Promise<T>,
): Promise<T> {
  if (options.store === undefined || options.store === '') {
    throw new UsageError('no store: pass --store <url> or set KEYCYCLE_STORE')
  }
  const opened = await openStore(options.store, options.prefix)
  try {
    return await work(opened)
  } finally {
    await opened.close()
  }
}

/** {@link withStore} with the service over it, configured from the options and environment. */
export async function withKeycycle<T>(
  options: Globals,
  context: Context,
  work: (kc: Keycycle, opened: OpenedStore) => Promise<T>,
): Promise<T> {
  return withStore(options, async (opened) => {
    const { store } = opened
    const pepper = context.io.env.KEYCYCLE_PEPPER
    const kc = createKeycycle({
      store,
      // Changes made from a shell are announced like any other: the fleet's dispatchers
      // deliver what the command records (README, Events).
      recordEvents: true,
      ...(options.tokenPrefix === undefined ? {} : { tokenPrefix: options.tokenPrefix }),
      ...(pepper === undefined || pepper === '' ? {} : { pepper }),
    })
    try {
      return await work(kc, opened)
    } finally {
      await kc.close()
    }
  })
}

/** Who acts, as `keycycle --help` and `keycycle key --help` state it ({@link handleFor}). */
export const ACTORS = `Who acts:
  --admin <id>  an API administrator: the default, "cli" (recorded as admin:cli
                in modified_by). May do everything, on any organisation's keys,
                but has no organisation of its own: key create and key list
                need --organisation <org_id> (keycycle org list shows them).
  --org <id>    that organisation instead, with exactly the rights its API key
                has over HTTP: its own keys, no --organisation needed; what only
                an admin may do (--type, --permissions, --expires-at, block,
                unblock) is refused as forbidden.
  org create, org list, sweep and verify act as no one: they are the host's.`

/** The rule `key create` and `key list` state in their help. */
export const ORGANISATION_RULE = `The organisation:
  an admin (the default actor) names it with --organisation <org_id>; keycycle
  org list shows the IDs. Acting as an organisation (--org <org_id>), it is
  that organisation's own. keycycle --help says who acts.`

/**
 * An admin has no organisation of its own, and the service refuses one that names none
 * (`validation` on `organisation`); the CLI adds what to pass (`how`) and how to find the IDs.
 * Other errors pass unchanged.
 */
export function organisationHint(error: unknown, how: string): unknown {
  if (
    !(error instanceof KeycycleError) ||
    error.code !== 'validation' ||
    error.details.field !== 'organisation'
  ) {
    return error
  }
  return new KeycycleError(
    'validation',
    `${error.message}: ${how} (keycycle org list shows them), or act as that organisation with --org <org_id>`,
    { cause: error, details: error.details },
  )
}

/** The handle of the actor the options name: `--org <id>`, else `--admin <id>` (default `cli`). */
export function handleFor(kc: Keycycle, options: Globals): ActorHandle {
  return options.org === undefined ? kc.asAdmin(options.admin) : kc.asOrganisation(options.org)
}

/**
 * The token to print, or undefined when it may not be shown (stdout is not a terminal and no
 * `--show-token`); then says on stderr how to get one.
 */
export function shownToken(context: Context, token: string, keyId: string, slot = 'primary') {
  if (context.out.showToken) return token
  note(
    context.out,
    `the token was not printed: stdout is not a terminal. Pass --show-token to print tokens; to mint a new one now (the current ${slot} token stops working at once): keycycle key regenerate ${keyId} --slot ${slot} --show-token`,
  )
  return undefined
}

/** After a token is printed to a person: it is never shown again. */
export function tokenWarning(context: Context): void {
  if (!context.out.json) note(context.out, 'store the token now: it is never shown again')
}

/** The exit-status table, for `--help`. */
export function helpFooter(): string {
  const rows = [
    [EXIT.ok, 'ok'],
    [EXIT.internal, 'unexpected failure'],
    [EXIT.usage, 'usage: bad command line, store URL or missing store'],
    [EXIT.unsupported, 'not supported by this version of keycycle'],
    [EXIT.missingDriver, "the store's driver package is not installed"],
    ...Object.entries(ERROR_EXIT).map(([code, status]) => [status, code]),
  ]
  return `\nExit status:\n${rows.map(([status, what]) => `  ${String(status).padStart(2)}  ${what}`).join('\n')}\n`
}
