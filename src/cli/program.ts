import { Command, CommanderError, Option } from 'commander'
import { version } from '../../package.json'
import { KeycycleError } from '../core/errors'
import { ERROR_EXIT, EXIT } from './exit-codes'
import { flagName } from './flags'
import { migrateCommand, sweepCommand, verifyCommand } from './host-commands'
import { keyCommands } from './key-commands'
import { orgCommands } from './org-commands'
import { type CliIo, type Context, helpFooter, UnsupportedError, UsageError } from './session'
import { StoreUrlError } from './store'

// The service names fields and options as the TypeScript API does (`expiresAt: …`, "pass
// allowLockout"); the CLI says which flag: the field a message starts with, and any other
// camelCase name of a flag of the command.
function inFlagTerms(message: string, field: string | undefined, context: Context): string {
  let text = message
  const flag = field === undefined ? undefined : flagName(context.flags, field)
  if (field !== undefined && flag !== undefined && text.startsWith(`${field}:`)) {
    text = flag + text.slice(field.length)
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

function program(context: Context): Command {
  const root = new Command('keycycle')
  root
    .description('Manage API keys in a keycycle store: migrate, create, rotate, verify, sweep.')
    .version(version)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
    })
    .addOption(
      new Option('--store <url>', 'sqlite:<file>, postgres://…, mysql://… or redis://…').env(
        'KEYCYCLE_STORE',
      ),
    )
    .addOption(
      new Option(
        '--prefix <prefix>',
        "table prefix (SQL) or key prefix (Redis); default the adapter's",
      ).env('KEYCYCLE_PREFIX'),
    )
    .addOption(new Option('--admin <id>', 'act as this API administrator').default('cli'))
    .addOption(new Option('--org <id>', 'act as this organisation instead').conflicts('admin'))
    .addOption(new Option('--json', "print results as JSON (the management API's wire format)"))
    .addOption(new Option('--show-token', 'print minted tokens even when stdout is not a terminal'))
    .addOption(
      new Option('--token-prefix <prefix>', 'prefix of minted tokens (default kc)').env(
        'KEYCYCLE_TOKEN_PREFIX',
      ),
    )
    .addHelpText('after', helpFooter())
  migrateCommand(root, context)
  orgCommands(root, context)
  keyCommands(root, context)
  sweepCommand(root, context)
  verifyCommand(root, context)
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
    await program(context).parseAsync(argv, { from: 'user' })
    return context.exit
  } catch (error) {
    // Commander has printed its own message; help and --version end with status 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage
    const { exit, code, message, params } = classify(error, context)
    context.io.stderr.write(
      context.out.json
        ? `${JSON.stringify({ error: code, message, params })}\n`
        : `keycycle: ${code}: ${message}\n`,
    )
    return exit
  }
}
