/**
 * Type-checks every ```ts (or ```typescript) block of README.md and the guides under docs/
 * against the built package, and runs the blocks marked `<!-- snippet-run -->`.
 *
 * Each block becomes its own ES module (`.mts`, so top-level `await` works) in a temporary
 * folder under `.tmp/` in the repository, where `keycycle` and `keycycle/<name>` resolve as the
 * package's own name through its `exports` to `dist/` (the build of test/setup/build.ts), and
 * other packages (`kysely`, `express`, …) from the repository's node_modules. Blocks marked
 * `<!-- snippet-file: NAME -->` in one document are joined, in order, into one module. The
 * repository's TypeScript checks them all in one `tsc --noEmit` run (strict, NodeNext). A
 * failure names the document, its line and the compiler's message.
 *
 * The annotations (`snippet-preamble`, `snippet-skip`, `snippet-file`, `snippet-run`) are
 * described in test/helpers/markdown.ts.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { docFiles, ROOT, readDoc, snippetModules } from '../helpers/markdown'

interface Diagnostic {
  line: number
  column: number
  message: string
}

const modules = docFiles().flatMap((doc) => snippetModules(doc, readDoc(doc)))

describe('the ts blocks of README.md and docs/', () => {
  let dir = ''
  const found = new Map<string, Diagnostic[]>()
  const elsewhere: string[] = []
  for (const m of modules) found.set(m.name, [])

  beforeAll(() => {
    mkdirSync(join(ROOT, '.tmp'), { recursive: true })
    dir = mkdtempSync(join(ROOT, '.tmp', 'doc-snippets-'))
    for (const m of modules) writeFileSync(join(dir, m.name), m.text)
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
        files: modules.map((m) => m.name),
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

  it('has ts blocks to check, in the README and in the guides', () => {
    expect(modules.some((m) => m.doc === 'README.md')).toBe(true)
    expect(modules.some((m) => m.doc.startsWith('docs/'))).toBe(true)
  })

  it.each(modules.map((m) => [m.label, m] as const))('%s type-checks', (_, m) => {
    const problems = found
      .get(m.name)!
      .map((d) => `${m.doc}:${m.lines[d.line] ?? '?'}:${d.column} ${d.message}`)
    expect(problems, problems.join('\n')).toEqual([])
  })

  it('leaves no compiler error outside the blocks', () => {
    expect(elsewhere, elsewhere.join('\n')).toEqual([])
  })

  const runnable = modules.filter((m) => m.run)
  it.each(runnable.map((m) => [m.label, m] as const))('%s runs', async (_, m) => {
    // tsx, as a reader would run it; the package resolves to the build, as above.
    await promisify(execFile)(process.execPath, ['--import', 'tsx', m.name], {
      cwd: dir,
      timeout: 30_000,
    })
  })
})

describe('snippetModules', () => {
  it('finds ts blocks with their lines and annotations, joining the parts of one file', () => {
    const md = [
      '# t', // 1
      '<!-- snippet-preamble: declare const a: number -->', // 2
      '<!-- snippet-preamble:', // 3
      'declare const b: string', // 4
      '-->', // 5
      '<!-- snippet-run -->', // 6
      '```ts', // 7
      'a + b', // 8
      '```', // 9
      '<!-- snippet-file: app.ts -->', // 10
      '```typescript title="x"', // 11
      'const c = 1', // 12
      '````', // 13
      '<!-- snippet-skip: a signature -->', // 14
      '~~~ts', // 15
      'f(x)', // 16
      '~~~', // 17
      '```sh', // 18
      'npm test', // 19
      '```', // 20
      '<!-- snippet-file: app.ts -->', // 21
      '', // 22
      '```ts', // 23
      'c + 1', // 24
      '```', // 25
    ].join('\n')
    const found = snippetModules('docs/x.md', md)
    expect(found.map((m) => [m.label, m.run, m.text, m.lines])).toEqual([
      [
        'the block at docs/x.md:7',
        true,
        'a + b\ndeclare const a: number\ndeclare const b: string\nexport {}\n',
        [0, 8, 2, 4],
      ],
      ['app.ts of docs/x.md (lines 11, 23)', false, 'const c = 1\nc + 1\nexport {}\n', [0, 12, 24]],
    ])
  })
})
