import { parseArgs } from 'node:util'
import { UsageError } from './cli-errors'

/** One option of a command, as it is given, described and read. */
export interface OptionSpec {
  /** The long name without dashes (`storage-config`); its value is kept under `storageConfig`. */
  name: string
  /** A second long name for the same option (`expires` beside `expires-at`). */
  alias?: string
  /** A one-letter name (`h` for `-h`). */
  short?: string
  /**
   * The value's placeholder in help. `<…>` takes a value; `[…]` takes one optionally (the next
   * word, unless it starts with `-`), else {@link preset}; absent, the option is a switch.
   */
  placeholder?: string
  /** The text an optional value stands for when left out. */
  preset?: string
  description: string
  /** Reads the given text into the value (throws `UsageError` saying what was expected). */
  parse?: (text: string) => unknown
  /** An environment variable read, through {@link parse}, when the option is not given. */
  env?: string
  /** The value when neither the option nor {@link env} is given; shown in help. */
  default?: unknown
  /** Another option of the same command that may not be given with this one. */
  conflicts?: string
  /**
   * Makes the option repeatable: each value given is read with {@link parse}, and this
   * combines them, in order, into the option's value (throws `UsageError` saying what is wrong).
   * Without it, the last value given wins.
   */
  combine?: (values: unknown[]) => unknown
}

/** What a command's `run` gets: its arguments and every option's value, camelCase. */
export interface Call {
  args: string[]
  values: Record<string, unknown>
}

/** A command, or a group of commands (no `run`). */
export interface CommandSpec {
  name: string
  /** Arguments in order: `<id>` required, `[id]` optional, `[name...]` any number. */
  args?: string[]
  /** One line, in the parent's list of commands and at the top of the command's help. */
  summary: string
  options?: OptionSpec[]
  commands?: CommandSpec[]
  /** Text after the options in the command's help (rules, examples, the exit statuses). */
  notes?: string
  run?: (call: Call) => Promise<void>
}

/** What a command line asks for. */
export type Parsed =
  | { kind: 'run'; path: CommandSpec[]; call: Call }
  /** Help for the last command of `path`; `incomplete` when a group was named without a command. */
  | { kind: 'help'; path: CommandSpec[]; incomplete: boolean }
  | { kind: 'version' }

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
const takesValue = (option: OptionSpec) => /^[<[]/.test(option.placeholder ?? '')
const optionalValue = (option: OptionSpec) => option.placeholder?.startsWith('[') === true

/** `keycycle key create`: the words that name the last command of `path`. */
export const commandName = (path: CommandSpec[]) => path.map((c) => c.name).join(' ')

/** The option an argument names (`--x`, `--x=v`, `-x`), among `options`. */
function named(options: OptionSpec[], arg: string): OptionSpec | undefined {
  if (arg.startsWith('--')) {
    const name = arg.slice(2).split('=')[0]
    return options.find((o) => o.name === name || o.alias === name)
  }
  return arg.length === 2 ? options.find((o) => o.short === arg[1]) : undefined
}

/**
 * Finds the command the words name and returns the rest of the line for `parseArgs`, with every
 * optional value made explicit (`--x` → `--x=true`, `--x false` → `--x=false`): `parseArgs`
 * knows options that always or never take a value, not ones that may. Options of the commands
 * named so far are known at each step; an option of a command before its name is unknown there,
 * as in the command's own help.
 */
function locate(root: CommandSpec, argv: string[]) {
  const path = [root]
  const rest: string[] = []
  let naming = true
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      rest.push(...argv.slice(i))
      break
    }
    if (arg.startsWith('-') && arg !== '-') {
      const option = named(
        path.flatMap((c) => c.options ?? []),
        arg,
      )
      const inline = arg.includes('=')
      if (option && optionalValue(option) && !inline) {
        const next = argv[i + 1]
        const given = next !== undefined && !next.startsWith('-')
        rest.push(`${arg}=${given ? next : option.preset}`)
        if (given) i++
        continue
      }
      rest.push(arg)
      if (option && takesValue(option) && !inline && i + 1 < argv.length) rest.push(argv[++i]!)
      continue
    }
    const command = naming ? path.at(-1)!.commands?.find((c) => c.name === arg) : undefined
    if (command) path.push(command)
    else {
      naming = false
      rest.push(arg)
    }
  }
  return { path, rest }
}

/**
 * Reads a command line (`argv` without node and the script) against the command tree under
 * `root`: the command it names, its arguments, and each option's value, from the line, else
 * the option's environment variable in `env`, else its default. `-h`/`--help` anywhere asks
 * for help, `-V`/`--version` for the version. Throws `UsageError` for an unknown command or
 * option, a missing or malformed value, conflicting options, or missing or extra arguments.
 */
export function parseCommandLine(
  root: CommandSpec,
  argv: string[],
  env: Record<string, string | undefined>,
): Parsed {
  const { path, rest } = locate(root, argv)
  const command = path.at(-1)!
  const where = commandName(path)
  const options = path.flatMap((c) => c.options ?? [])
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {}
  for (const option of options) {
    const type = takesValue(option) ? 'string' : 'boolean'
    config[option.name] = option.short ? { type, short: option.short } : { type }
    if (option.alias) config[option.alias] = { type }
  }
  // Not strict: unknown options come back as tokens, reported below in the CLI's own words.
  const { tokens } = parseArgs({
    args: rest,
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  const given = tokens.flatMap((t) => (t.kind === 'option' ? [t] : []))
  if (given.some((t) => t.name === 'help')) return { kind: 'help', path, incomplete: false }
  if (given.some((t) => t.name === 'version')) return { kind: 'version' }

  const usage = (message: string) => new UsageError(message, where)
  const read = (option: OptionSpec, text: string, as: string) => {
    try {
      return option.parse ? option.parse(text) : text
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      throw usage(`option '${as}' argument '${text}' is invalid: ${error.message}`)
    }
  }
  const values: Record<string, unknown> = {}
  const present = new Set<string>()
  const repeated = new Map<OptionSpec, unknown[]>()
  for (const token of given) {
    const option = options.find((o) => o.name === token.name || o.alias === token.name)
    if (!option) throw usage(`unknown option '${token.rawName}'`)
    present.add(option.name)
    if (!takesValue(option)) {
      if (token.inlineValue) throw usage(`option '${token.rawName}' takes no value`)
      values[camel(option.name)] = true
    } else if (token.value === undefined) {
      throw usage(`option '${token.rawName} ${option.placeholder}' argument missing`)
    } else if (option.combine) {
      repeated.set(option, [
        ...(repeated.get(option) ?? []),
        read(option, token.value, token.rawName),
      ])
    } else {
      values[camel(option.name)] = read(option, token.value, token.rawName)
    }
  }
  for (const [option, all] of repeated) {
    try {
      values[camel(option.name)] = option.combine!(all)
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      throw usage(`option '--${option.name}': ${error.message}`)
    }
  }
  for (const option of options) {
    if (option.conflicts && present.has(option.name) && present.has(option.conflicts)) {
      throw usage(`option '--${option.name}' cannot be used with option '--${option.conflicts}'`)
    }
    const key = camel(option.name)
    const fromEnv = option.env && env[option.env]
    if (values[key] === undefined && fromEnv) values[key] = read(option, fromEnv, option.env!)
    if (values[key] === undefined && option.default !== undefined) values[key] = option.default
  }

  const args = tokens.flatMap((t) => (t.kind === 'positional' ? [t.value] : []))
  if (!command.run) {
    if (args.length > 0) throw usage(`unknown command '${args[0]}'`)
    return { kind: 'help', path, incomplete: true }
  }
  const specs = command.args ?? []
  const required = specs.filter((a) => a.startsWith('<')).length
  if (args.length < required) {
    throw usage(`missing required argument '${specs[args.length]!.slice(1, -1)}'`)
  }
  if (!specs.some((a) => a.endsWith('...]')) && args.length > specs.length) {
    throw usage(
      `too many arguments for '${command.name}': it takes ${specs.length === 0 ? 'none' : specs.join(' ')}, got ${args.join(' ')}`,
    )
  }
  return { kind: 'run', path, call: { args, values } }
}
