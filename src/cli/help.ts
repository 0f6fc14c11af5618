import { type CommandSpec, commandName, type OptionSpec } from './command-line'

// Descriptions wrap to this width, unless the names column leaves them too little room.
const WIDTH = 80
const MIN_TEXT = 40

/** `-h, --help`, `--expires, --expires-at <when>`. */
function term(option: OptionSpec): string {
  const names = [
    option.short && `-${option.short}`,
    option.alias && `--${option.alias}`,
    `--${option.name}`,
  ].filter(Boolean)
  return `${names.join(', ')}${option.placeholder ? ` ${option.placeholder}` : ''}`
}

function described(option: OptionSpec): string {
  const notes = [
    option.preset === undefined ? '' : `(alone: ${option.preset})`,
    option.default === undefined ? '' : `(default: ${JSON.stringify(option.default)})`,
    option.env ? `(env: ${option.env})` : '',
  ]
  return [option.description, ...notes].filter(Boolean).join(' ')
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  return [...lines, line]
}

/** Rows of two columns, the second wrapped beside the first when there is room for it. */
function columns(rows: [string, string][]): string {
  const left = Math.max(...rows.map(([name]) => name.length)) + 2
  const room = WIDTH - 2 - left
  return rows
    .map(([name, text]) => {
      const lines = room >= MIN_TEXT ? wrap(text, room) : [text]
      return lines
        .map((line, i) => `  ${(i === 0 ? name : '').padEnd(left)}${line}`.trimEnd())
        .join('\n')
    })
    .join('\n')
}

const usage = (command: CommandSpec) =>
  command.run
    ? ['[options]', ...(command.args ?? [])].join(' ')
    : command.commands?.length
      ? '[options] <command>'
      : '[options]'

/**
 * The help of the last command of `path`: usage, summary, its options (all of the root's for
 * the root; its own and `--help` below it, with a pointer to the global ones), its commands,
 * and its notes.
 */
export function helpText(path: CommandSpec[]): string {
  const command = path.at(-1)!
  const root = path[0]!
  const own =
    command === root
      ? (root.options ?? [])
      : [...(command.options ?? []), ...(root.options ?? []).filter((o) => o.name === 'help')]
  const sections = [`Usage: ${commandName(path)} ${usage(command)}`, command.summary]
  if (own.length > 0) {
    sections.push(`Options:\n${columns(own.map((o) => [term(o), described(o)]))}`)
  }
  if (command.commands?.length) {
    const rows = command.commands.map((c): [string, string] => [
      [c.name, ...(c.args ?? [])].join(' '),
      c.summary,
    ])
    sections.push(`Commands:\n${columns(rows)}`)
  }
  if (command !== root) {
    const globals = (root.options ?? []).filter((o) => o.name !== 'help' && o.name !== 'version')
    sections.push(
      `Global options, before or after the command (${root.name} --help describes them):\n  ${globals.map((o) => `--${o.name}`).join(', ')}`,
    )
  }
  if (command.notes) sections.push(command.notes.trimEnd())
  return `${sections.join('\n\n')}\n`
}
