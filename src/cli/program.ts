import { version } from '../../package.json'
import { KeycycleError } from '../core/errors'
import { UnsupportedError, UsageError } from './cli-errors'
import { type CommandSpec, commandName, type OptionSpec, parseCommandLine } from './command-line'
import { ERROR_EXIT, EXIT } from './exit-codes'
import { flagFor, flagName } from './flags'
import { helpText } from './help'
import { migrateCommand, sweepCommand, verifyCommand } from './host-subcommands'
import { keySubcommands } from './key-subcommands'
import { StoreUrlError } from './open-store'
import { orgSubcommands } from './org-subcommands'
import { ACTORS, type CliIo, type Context, helpFooter } from './session'
import { signCommand } from './sign-command'
import { tokenPatternCommand } from './token-pattern-command'

// The service names fields and options as the TypeScript API does (`expiresAt: …`, "pass
// allowLockout"); the CLI says which flag: the field a message starts with, and any other
// camelCase name of a flag of the command.
function inFlagTerms(message: string, field: string | undefined, context: Context): string {
  let text = message
  const found = field === undefined ? undefined : flagFor(context.flags, field)
  if (field !== undefined && found !== undefined && text.startsWith(`${field}:`)) {
    // Below a record's or a list's flag, the part it names: `--rate-limit [1].windowMs: …`.
    const named = found.rest === '' ? found.flag : `${found.flag} ${found.rest}`
    text = named + text.slice(field.length)
  }
  for (const { path, flag: name } of context.flags) {
    const domain = path.join('.')
    if (/[A-Z.]/.test(domain))
      text = text.replaceAll(new RegExp(`\\b${domain.replaceAll('.', '\\.')}\\b`, 'g'), name)
  }
  return text
}

/** An error as the CLI reports it: the management API's error body, and an exit status. */
function classify(error: unknown, context: Context) {
  if (error instanceof KeycycleError) {
    const domain = error.details.field
    const flag = domain === undefined ? undefined : flagName(context.flags, domain)
    const field = flag ?? domain
    return {
      code: error.code,
      message: inFlagTerms(error.message, domain, context),
      params: field === undefined ? {} : { field },
      exit: ERROR_EXIT[error.code],
    }
  }
  const plain = (code: string, exit: number) => ({
    code,
    message: error instanceof Error ? error.message : String(error),
    params: {},
    exit,
  })
  if (error instanceof UsageError) return plain('usage', EXIT.usage)
  if (error instanceof UnsupportedError) return plain('unsupported', EXIT.unsupported)
  if (error instanceof StoreUrlError) {
    return error.missingDriver
      ? plain('missing_driver', EXIT.missingDriver)
      : plain('usage', EXIT.usage)
  }
  return plain('internal', EXIT.internal)
}

/** The options every command takes, before or after its name. */
const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: 'version', short: 'V', description: 'print the version number' },
  {
    name: 'store',
    placeholder: '<url>',
    description: 'sqlite:<file>, postgres://…, mysql://… or redis://…',
    env: 'KEYCYCLE_STORE',
  },
  {
    name: 'prefix',
    placeholder: '<prefix>',
    description: "table prefix (SQL) or key prefix (Redis); default the adapter's",
    env: 'KEYCYCLE_PREFIX',
  },
  {
    name: 'admin',
    placeholder: '<id>',
    description: 'act as this API administrator',
    default: 'cli',
  },
  {
    name: 'org',
    placeholder: '<id>',
    description: 'act as this organisation instead',
    conflicts: 'admin',
  },
  { name: 'json', description: "print results as JSON (the management API's wire format)" },
  { name: 'show-token', description: 'print minted tokens even when stdout is not a terminal' },
  {
    name: 'token-prefix',
    placeholder: '<prefix>',
    description: 'prefix of minted tokens (default kc)',
    env: 'KEYCYCLE_TOKEN_PREFIX',
  },
  { name: 'help', short: 'h', description: 'display help for a command' },
]

function program(context: Context): CommandSpec {
  const root: CommandSpec = {
    name: 'keycycle',
    summary: 'Manage API keys in a keycycle store: migrate, create, rotate, verify, sweep.',
    options: GLOBAL_OPTIONS,
    notes: `${ACTORS}\n\n${helpFooter().trim()}`,
  }
  root.commands = [
    migrateCommand(context),
    orgSubcommands(context),
    keySubcommands(context),
    sweepCommand(context),
    verifyCommand(context),
    tokenPatternCommand(context),
    signCommand(context),
    {
      name: 'help',
      args: ['[command...]'],
      summary: 'display help for a command',
      run: async ({ args }) => {
        const path = [root]
        for (const name of args) {
          const next = path.at(-1)!.commands?.find((c) => c.name === name)
          if (!next) throw new UsageError(`unknown command '${name}'`, commandName(path))
          path.push(next)
        }
        context.io.stdout.write(helpText(path))
      },
    },
  ]
  return root
}

/**
 * Runs a command line (`argv` without node and the script) and resolves with its exit status
 * (see `EXIT` and `ERROR_EXIT`). Reports failures on stderr, as the management API's error body
 * with `--json`. Never throws and never calls `process.exit`.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const context: Context = {
    io,
    flags: [],
    out: { json: argv.includes('--json'), showToken: false, stdout: io.stdout, stderr: io.stderr },
    exit: EXIT.ok,
  }
  try {
    const parsed = parseCommandLine(program(context), argv, io.env)
    if (parsed.kind === 'version') {
      io.stdout.write(`${version}\n`)
      return EXIT.ok
    }
    if (parsed.kind === 'help') {
      // A group named without a command is an incomplete line: its help, on stderr, fails.
      ;(parsed.incomplete ? io.stderr : io.stdout).write(helpText(parsed.path))
      return parsed.incomplete ? EXIT.usage : EXIT.ok
    }
    await parsed.path.at(-1)!.run!(parsed.call)
    return context.exit
  } catch (error) {
    const { exit, code, message, params } = classify(error, context)
    if (context.out.json) {
      io.stderr.write(`${JSON.stringify({ error: code, message, params })}\n`)
    } else {
      io.stderr.write(`keycycle: ${code}: ${message}\n`)
      if (error instanceof UsageError && error.command) {
        io.stderr.write(`(${error.command} --help shows its usage)\n`)
      }
    }
    return exit
  }
}
