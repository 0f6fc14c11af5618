// Every link between the documents resolves: a relative link in README.md or a guide names a
// file that exists, and its `#anchor` a heading (or `<a id>`) of that file; and every citation
// of a guide in code or tests (`docs/decisions.md#states`) names an anchor that exists, so a
// renamed heading cannot leave a comment pointing nowhere.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { anchors, docFiles, ROOT, readDoc, resolveFrom } from '../helpers/markdown'

const anchorsOf = new Map<string, Set<string>>()
const anchorsIn = (file: string) => {
  if (!anchorsOf.has(file)) anchorsOf.set(file, anchors(readDoc(file)))
  return anchorsOf.get(file)!
}

/** What is wrong with a link to `target` (a path relative to the repository, and an anchor). */
function problem(path: string, anchor: string | undefined): string | null {
  if (!existsSync(join(ROOT, path))) return `${path} does not exist`
  if (anchor === undefined || !path.endsWith('.md')) return null
  return anchorsIn(path).has(anchor) ? null : `${path} has no heading #${anchor}`
}

/** The Markdown links of a text outside code blocks and code spans, with their lines. */
function links(markdown: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = []
  let fence = false
  markdown.split(/\r?\n/).forEach((text, i) => {
    if (/^ {0,3}(`{3,}|~{3,})/.test(text)) fence = !fence
    if (fence) return
    const prose = text.replace(/`[^`]*`/g, '')
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) found.push({ line: i + 1, target: m[1]! })
  })
  return found
}

describe('links in README.md and docs/', () => {
  it.each(docFiles())('%s links only to files and headings that exist', (doc) => {
    const broken: string[] = []
    for (const { line, target } of links(readDoc(doc))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:
      const [path, anchor] = target.split('#') as [string, string | undefined]
      const why = problem(path === '' ? doc : resolveFrom(doc, path), anchor)
      if (why) broken.push(`${doc}:${line} (${target}): ${why}`)
    }
    expect(broken, broken.join('\n')).toEqual([])
  })

  it('computes the anchors GitHub gives headings', () => {
    const md = '# A b\n## What `x_y` is for\n```\n# not a heading\n```\n## A b\n<a id="own"></a>'
    expect([...anchors(md)]).toEqual(['a-b', 'what-x_y-is-for', 'a-b-1', 'own'])
  })
})

describe('citations of the guides in code', () => {
  it('name headings that exist', () => {
    const files = execFileSync(
      'git',
      [
        'ls-files',
        '--cached',
        '--others',
        '--exclude-standard',
        'src',
        'adapters',
        'test',
        'bench',
        'examples',
        'scripts',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    )
      .split('\n')
      .filter((f) => /\.(ts|mts|mjs|js)$/.test(f) && existsSync(join(ROOT, f)))
    const broken: string[] = []
    for (const file of files) {
      const lines = readFileSync(join(ROOT, file), 'utf8').split('\n')
      lines.forEach((text, i) => {
        for (const m of text.matchAll(/\bdocs\/([a-z0-9-]+\.md)#([a-z0-9_-]+)/g)) {
          const why = problem(`docs/${m[1]}`, m[2])
          if (why) broken.push(`${file}:${i + 1}: ${why}`)
        }
      })
    }
    expect(broken, broken.join('\n')).toEqual([])
  })
})
