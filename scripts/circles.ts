/**
 * `npm run check:circles` (part of `npm test`): fails when a module under `src/` or `adapters/`
 * reaches itself again through its imports, and prints each circle it finds.
 *
 * The graph is the TypeScript compiler's own: every specifier `ts.preProcessFile` finds (static
 * and dynamic imports, `export … from`, `import('…')` types), resolved with tsconfig.json's
 * options as `tsc` resolves it. Type-only imports count: a circle through `import type` costs
 * a reader the same as any other, since neither file can be read without the other. Modules
 * outside the two folders (packages, tests) are not part of the graph.
 *
 * Each circle is one strongly connected component of the graph: the files that all reach one
 * another. It is printed as one shortest loop through it, then every file it holds, so a
 * circle of many files reads as a path first.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import ts from 'typescript'

const ROOT = resolve(import.meta.dirname, '..')
const FOLDERS = ['src', 'adapters']

const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile)
const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT)

const isSource = (file: string) => file.endsWith('.ts') && !file.endsWith('.d.ts')
const files = FOLDERS.flatMap((folder) =>
  readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter(isSource)
    .map((file) => join(ROOT, folder, file)),
).sort()
const known = new Set(files)

/** The files under the two folders that `file` imports, in any form. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  const out = new Set<string>()
  for (const { fileName } of importedFiles) {
    const resolved = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule
    const target = resolved && resolve(resolved.resolvedFileName)
    if (target && known.has(target)) out.add(target)
  }
  return [...out].sort()
}

const graph = new Map(files.map((file) => [file, importsOf(file)]))

/** Tarjan's strongly connected components; only those that form a circle are returned. */
function circles(): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (file: string) => {
    index.set(file, index.size)
    low.set(file, index.get(file)!)
    stack.push(file)
    onStack.add(file)
    for (const next of graph.get(file)!) {
      if (!index.has(next)) {
        visit(next)
        low.set(file, Math.min(low.get(file)!, low.get(next)!))
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!))
      }
    }
    if (low.get(file) !== index.get(file)) return
    const component: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== file)
    if (component.length > 1 || graph.get(file)!.includes(file)) found.push(component.sort())
  }
  for (const file of files) if (!index.has(file)) visit(file)
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!))
}

/** The shortest loop from `start` back to itself inside `component`: its files, `start` first. */
function shortestLoop(start: string, component: string[]): string[] {
  const inside = new Set(component)
  const cameFrom = new Map<string, string>()
  const queue = [start]
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i]!
    for (const next of graph.get(file)!) {
      if (next === start) {
        const loop: string[] = []
        for (let at = file; at !== start; at = cameFrom.get(at)!) loop.unshift(at)
        return [start, ...loop]
      }
      if (!inside.has(next) || cameFrom.has(next)) continue
      cameFrom.set(next, file)
      queue.push(next)
    }
  }
  return [start]
}

const show = (file: string) => relative(ROOT, file)
const found = circles()
for (const component of found) {
  const loop = shortestLoop(component[0]!, component)
  console.error(`import circle of ${component.length} file(s):`)
  console.error(`  ${[...loop, loop[0]!].map(show).join('\n    → ')}`)
  if (component.length > loop.length) {
    console.error(`  all of them: ${component.map(show).join(', ')}`)
  }
}
if (found.length > 0) {
  console.error(`${found.length} import circle(s) in ${FOLDERS.join('/ and ')}/`)
  process.exitCode = 1
} else {
  console.log(`no import circles among ${files.length} files in ${FOLDERS.join('/ and ')}/`)
}
