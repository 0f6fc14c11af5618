/**
 * The project's Markdown documentation as tests read it: which files there are (README.md and
 * every guide under docs/, not the generated API reference), their fenced code blocks with the
 * HTML comments that annotate them, the sections between `<!-- name:start -->` and
 * `<!-- name:end -->` markers, and the anchors their headings get on GitHub.
 *
 * Annotations are HTML comments directly above a block (blank lines between are allowed),
 * invisible where the Markdown is rendered:
 *
 * - `<!-- snippet-preamble: declare const app: import('express').Express -->`: names the
 *   snippet uses but does not define, added to its module after the code (so code line numbers
 *   stay the document's). Several may stand above one block; one may span lines.
 * - `<!-- snippet-skip: <reason> -->`: a ```ts block that is not meant to compile.
 * - `<!-- snippet-file: server.ts -->`: the block is a part of that file; the parts of one file
 *   in one document are joined in order into one module (a guide that builds a program step
 *   by step).
 * - `<!-- snippet-run -->`: besides type-checking it, the test runs the module (it must need
 *   nothing but the package: a memory store, no server).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

export const ROOT = join(import.meta.dirname, '../..')

/** README.md and the guides under docs/, as paths relative to the repository, sorted. */
export function docFiles(): string[] {
  const found: string[] = ['README.md']
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory() && path !== 'docs/api') walk(path)
      else if (entry.isFile() && entry.name.endsWith('.md')) found.push(path)
    }
  }
  walk('docs')
  return found.sort()
}

/** The text of a documentation file, by its path relative to the repository. */
export const readDoc = (path: string): string => readFileSync(join(ROOT, path), 'utf8')

export interface CodeBlock {
  /** 1-based line of the opening fence; code line n is document line `fence + n`. */
  fence: number
  /** The info string's first word, lower-case (`ts`, `sh`, `json`, or `` for none). */
  lang: string
  code: string
  /** Preamble texts, each with the document line of its first line. */
  preamble: { text: string; line: number }[]
  skip?: string
  file?: string
  run?: boolean
}

const COMMENT = /^<!--\s*snippet-(preamble|skip|file|run)\s*:?([\s\S]*?)-->$/

/** The fenced code blocks of a Markdown text, with the snippet comments above each. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/)
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!)
    if (!open) continue
    const [, indent, fence, lang] = open as unknown as [string, string, string, string]
    const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`)
    let end = i + 1
    while (end < lines.length && !close.test(lines[end]!)) end++
    const body = lines.slice(i + 1, end).map((l) => l.slice(Math.min(indent.length, indentOf(l))))
    blocks.push({
      fence: i + 1,
      lang: lang.toLowerCase(),
      code: body.join('\n'),
      ...commentsAbove(lines, i),
    })
    i = end
  }
  return blocks
}

const indentOf = (line: string) => line.length - line.trimStart().length

type Annotations = Pick<CodeBlock, 'preamble' | 'skip' | 'file' | 'run'>

/** The snippet comments directly above line `fence` (0-based), skipping blank lines. */
function commentsAbove(lines: string[], fence: number): Annotations {
  const found: Annotations = { preamble: [] }
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
    if (match[1] === 'skip') found.skip = text || 'no reason given'
    else if (match[1] === 'file') found.file = text
    else if (match[1] === 'run') found.run = true
    else {
      // The document line of the text's first line.
      const before = comment.slice(0, comment.indexOf(text, match[0].indexOf(match[2]!)))
      found.preamble.unshift({ text, line: start + 1 + before.split('\n').length - 1 })
    }
    i = start - 1
  }
  return found
}

/** One module to type-check (and maybe run): the code of one block, or the joined parts of one `snippet-file`. */
export interface SnippetModule {
  name: string
  doc: string
  label: string
  text: string
  run: boolean
  /** Document line of each module line (1-based; index 0 unused). */
  lines: number[]
}

const isTs = (b: CodeBlock) => /^(ts|typescript)$/.test(b.lang)

/** The modules of one document's ts blocks (skipped ones left out). */
export function snippetModules(doc: string, markdown: string): SnippetModule[] {
  const blocks = codeBlocks(markdown).filter((b) => isTs(b) && b.skip === undefined)
  const groups = new Map<string, CodeBlock[]>()
  for (const b of blocks) {
    const key = b.file === undefined ? `line-${b.fence}` : `file-${b.file}`
    groups.set(key, [...(groups.get(key) ?? []), b])
  }
  const safe = doc.replace(/[^A-Za-z0-9]+/g, '-')
  return [...groups.entries()].map(([key, parts]) => {
    const lines = [0]
    const text: string[] = []
    for (const p of parts) {
      p.code.split('\n').forEach((l, i) => {
        text.push(l)
        lines.push(p.fence + 1 + i)
      })
    }
    for (const p of parts.flatMap((part) => part.preamble)) {
      p.text.split('\n').forEach((l, i) => {
        text.push(l)
        lines.push(p.line + i)
      })
    }
    const first = parts[0]!
    const label =
      first.file === undefined
        ? `the block at ${doc}:${first.fence}`
        : `${first.file} of ${doc} (lines ${parts.map((p) => p.fence).join(', ')})`
    return {
      name: `${safe}-${key.replace(/[^A-Za-z0-9]+/g, '-')}.mts`,
      doc,
      label,
      text: `${text.join('\n')}\nexport {}\n`,
      run: parts.some((p) => p.run),
      lines,
    }
  })
}

/** A section between `<!-- name:start -->` and `<!-- name:end -->`, and where it is. */
export interface MarkedSection {
  file: string
  text: string
}

/**
 * The one section of the documentation marked `name`. Throws when no file, or more than one,
 * holds the markers, so a check built on a section cannot pass by losing it.
 */
export function markedSection(name: string): MarkedSection {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const found: MarkedSection[] = []
  for (const file of docFiles()) {
    const doc = readDoc(file)
    const from = doc.indexOf(start)
    if (from === -1) continue
    const to = doc.indexOf(end, from)
    if (to === -1) throw new Error(`${file} has ${start} without ${end}`)
    if (doc.indexOf(start, to) !== -1) throw new Error(`${file} has ${start} twice`)
    found.push({ file, text: doc.slice(from + start.length, to) })
  }
  if (found.length !== 1) {
    const where = found.map((f) => f.file).join(', ') || 'no file'
    throw new Error(`expected one section ${start} in README.md or docs/, found: ${where}`)
  }
  return found[0]!
}

/**
 * The anchors GitHub gives a Markdown text's headings (lower-case; punctuation other than `-`
 * and `_` dropped; spaces become `-`; a repeated heading gets `-1`, `-2`, …), plus any
 * `<a id="…">` written by hand.
 */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  let inFence = false
  for (const line of markdown.split(/\r?\n/)) {
    if (/^ {0,3}(`{3,}|~{3,})/.test(line)) inFence = !inFence
    if (inFence) continue
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1]!)
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!heading) continue
    const base = heading[1]!
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** `path` relative to the repository, from a path relative to the document at `from`. */
export const resolveFrom = (from: string, path: string): string =>
  relative(ROOT, join(ROOT, from, '..', path))
