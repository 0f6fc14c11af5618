/**
 * Type-checks every ```ts (or ```typescript) block of README.md against the built package.
 *
 * Each block becomes its own ES module (`.mts`, so top-level `await` works) in a temporary
 * folder under `.tmp/` in the repository, where `keycycle` and `keycycle/<name>` resolve as the
 * package's own name through its `exports` to `dist/*.d.ts` (the build of test/setup/build.ts),
 * and other packages (`kysely`, `express`, …) from the repository's node_modules. The repository's
 * TypeScript checks them all in one `tsc --noEmit` run (strict, NodeNext). A failure names the
 * README line and the compiler's message.
 *
 * Free variables. A snippet may use names the reader supplies (`app`, `db`, `url`, `secret`, a
 * `kc` made in an earlier block). Declare them in an HTML comment right above the block (blank
 * lines between are allowed); it is invisible on GitHub and npm, and is added to the module
 * after the block's code, so its line numbers stay the README's:
 *
 *     <!-- snippet-preamble: declare const app: import('express').Express -->
 *     ```ts
 *     app.get('/reports', apiKeyAuth(kc), (req, res) => res.json(req.apiKey))
 *     ```
 *
 * Several preamble comments may stand above one block, and one may span several lines:
 *
 *     <!-- snippet-preamble:
 *     declare const kc: import('keycycle').Keycycle
 *     declare const secret: string
 *     -->
 *
 * `<!-- snippet-skip: <reason> -->` above a block leaves it out (for a fragment that is not
 * meant to compile, such as a signature); say why.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '../..')

interface Snippet {
  /** 1-based README line of the opening fence; code line n is README line `fence + n`. */
  fence: number
  code: string
  /** Preamble texts, each with the README line of its first line. */
  preamble: { text: string; line: number }[]
  skip?: string
}

const COMMENT = /^<!--\s*snippet-(preamble|skip)\s*:?([\s\S]*?)-->$/

/** The ```ts blocks of a Markdown text, with the snippet comments above each. */
function extractSnippets(markdown: string): Snippet[] {
  const lines = markdown.split(/\r?\n/)
  const snippets: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!)
    if (!open) continue
    const [, indent, fence, lang] = open as unknown as [string, string, string, string]
    const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`)
    let end = i + 1
    while (end < lines.length && !close.test(lines[end]!)) end++
    if (/^(ts|typescript)$/i.test(lang)) {
      const body = lines.slice(i + 1, end).map((l) => l.slice(Math.min(indent.length, indentOf(l))))
      snippets.push({ fence: i + 1, code: body.join('\n'), ...commentsAbove(lines, i) })
    }
    i = end
  }
  return snippets
}

const indentOf = (line: string) => line.length - line.trimStart().length

/** The snippet comments directly above line `fence` (0-based), skipping blank lines. */
function commentsAbove(lines: string[], fence: number): Pick<Snippet, 'preamble' | 'skip'> {
  const preamble: Snippet['preamble'] = []
  let skip: string | undefined
  let i = fence - 1
  while (i >= 0) {
    if (lines[i]!.trim() === '') {
      i--
      continue
    }
    if (!lines[i]!.trimEnd().endsWith('-->')) break
    let start = i
    while (start > 0 && !lines[start]!.includes('<!--')) start--
    const comment = lines
      .slice(start, i + 1)
      .join('\n')
      .trim()
    const match = COMMENT.exec(comment)
    if (!match) break
    const text = match[2]!.trim()
    if (match[1] === 'skip') skip = text || 'no reason given'
    else {
      // The README line of the text's first line.
      const before = comment.slice(0, comment.indexOf(text, match[0].indexOf(match[2]!)))
      preamble.unshift({ text, line: start + 1 + before.split('\n').length - 1 })
    }
    i = start - 1
  }
  return skip === undefined ? { preamble } : { preamble, skip }
}

interface Diagnostic {
  line: number
  column: number
  message: string
}

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const snippets = extractSnippets(readme)
const checked = snippets.filter((s) => s.skip === undefined)
const fileOf = (s: Snippet) => `readme-line-${s.fence}.mts`

describe('README.md ts blocks', () => {
  let dir = ''
  const found = new Map<string, Diagnostic[]>()
  const elsewhere: string[] = []
  for (const s of checked) found.set(fileOf(s), [])

  beforeAll(() => {
    mkdirSync(join(ROOT, '.tmp'), { recursive: true })
    dir = mkdtempSync(join(ROOT, '.tmp', 'readme-snippets-'))
    for (const s of checked) {
      const preamble = s.preamble.map((p) => p.text).join('\n')
      writeFileSync(join(dir, fileOf(s)), `${s.code}\n${preamble}\nexport {}\n`)
    }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          strict: true,
          skipLibCheck: true,
          noEmit: true,
        },
        files: checked.map(fileOf),
      }),
    )
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    let output = ''
    try {
      execFileSync(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], {
        cwd: dir,
        encoding: 'utf8',
      })
    } catch (error) {
      output = String((error as { stdout?: unknown }).stdout ?? error)
    }
    // `file(line,col): error TSxxxx: message`, then indented lines that continue the message.
    let last: Diagnostic | undefined
    for (const text of output.split(/\r?\n/)) {
      const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(text)
      if (m && found.has(m[1]!)) {
        last = { line: Number(m[2]), column: Number(m[3]), message: m[4]! }
        found.get(m[1]!)!.push(last)
      } else if (m || /^\S/.test(text)) {
        last = undefined
        elsewhere.push(text)
      } else if (text.trim() && last) {
        last.message += `\n${text}`
      } else if (text.trim()) {
        elsewhere.push(text)
      }
    }
  }, 120_000)

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('has ts blocks to check', () => {
    expect(checked.length).toBeGreaterThan(0)
  })

  it.each(checked.map((s) => [s.fence, s] as const))(
    'the block at README.md:%i type-checks',
    (_, snippet) => {
      const codeLines = snippet.code.split('\n').length
      // Code line n is README line fence + n; preamble lines follow the code in the module.
      const readmeLine = (line: number) => {
        if (line <= codeLines) return snippet.fence + line
        let offset = codeLines
        for (const p of snippet.preamble) {
          const span = p.text.split('\n').length
          if (line <= offset + span) return p.line + (line - offset - 1)
          offset += span
        }
        return snippet.fence
      }
      const problems = found
        .get(fileOf(snippet))!
        .map((d) => `README.md:${readmeLine(d.line)}:${d.column} ${d.message}`)
      expect(problems, problems.join('\n')).toEqual([])
    },
  )

  it('leaves no compiler error outside the blocks', () => {
    expect(elsewhere, elsewhere.join('\n')).toEqual([])
  })
})

describe('extractSnippets', () => {
  it('finds ts blocks with their fence lines and the snippet comments above them', () => {
    const md = [
      '# t', // 1
      '<!-- snippet-preamble: declare const a: number -->', // 2
      '<!-- snippet-preamble:', // 3
      'declare const b: string', // 4
      '-->', // 5
      '', // 6
      '```ts', // 7
      'a + b', // 8
      '```', // 9
      '<!-- other -->', // 10
      '```typescript title="x"', // 11
      'c', // 12
      '````', // 13
      '<!-- snippet-skip: a signature -->', // 14
      '~~~ts', // 15
      'f(x)', // 16
      '~~~', // 17
      '```sh', // 18
      'npm test', // 19
      '```', // 20
    ].join('\n')
    expect(extractSnippets(md)).toEqual([
      {
        fence: 7,
        code: 'a + b',
        preamble: [
          { text: 'declare const a: number', line: 2 },
          { text: 'declare const b: string', line: 4 },
        ],
      },
      { fence: 11, code: 'c', preamble: [] },
      { fence: 15, code: 'f(x)', preamble: [], skip: 'a signature' },
    ])
  })
})
