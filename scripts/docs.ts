/**
 * `npm run docs`: the API reference, built by TypeDoc into `docs/api/` with the settings in
 * `typedoc.json` (warnings are errors there, links and anchors between the documents included).
 * README.md is its front page and the guides under docs/ are its documents.
 *
 * The entry points are tsup.config.ts's `entries`, the package's public entries, so adding an
 * entry there documents it too. Each module is named by its import path (`keycycle`,
 * `keycycle/memory`, …) rather than its file path. Extra arguments go to TypeDoc as options
 * (`npm run docs -- --emit none`).
 */
import { resolve } from 'node:path'
import {
  Application,
  ArgumentsReader,
  Converter,
  type DeclarationReflection,
  PackageJsonReader,
  ReflectionKind,
  TSConfigReader,
  TypeDocReader,
} from 'typedoc'
import { entries } from '../tsup.config'

const ROOT = resolve(import.meta.dirname, '..')
const importPath = (name: string) => (name === 'index' ? 'keycycle' : `keycycle/${name}`)
const names = new Map(Object.entries(entries).map(([name, file]) => [resolve(ROOT, file), name]))

// The readers TypeDoc's CLI uses: command line, typedoc.json, package.json, tsconfig, command line.
const app = await Application.bootstrapWithPlugins({ entryPoints: [...names.keys()] }, [
  new ArgumentsReader(0),
  new TypeDocReader(),
  new PackageJsonReader(),
  new TSConfigReader(),
  new ArgumentsReader(300).ignoreErrors(),
])

app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
  for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
    const file = context.getSymbolFromReflection(module)?.declarations?.[0]?.getSourceFile()
    const name = file && names.get(resolve(file.fileName))
    if (name) (module as DeclarationReflection).name = importPath(name)
  }
})

process.exitCode = await run()
const { errorCount, warningCount } = app.logger
console.log(`typedoc: ${errorCount} errors, ${warningCount} warnings`)

/** The sequence of TypeDoc's CLI (convert, validate, render), failing on any warning. */
async function run(): Promise<number> {
  const strict = app.options.getValue('treatWarningsAsErrors')
  const failed = () => app.logger.hasErrors() || (strict && app.logger.hasWarnings())
  if (failed()) return 1
  const project = await app.convert()
  if (!project || failed()) return 2
  app.validate(project)
  if (failed() || (strict && app.logger.validationWarningCount > 0)) return 3
  if (app.options.getValue('emit') !== 'none') {
    await app.generateOutputs(project)
    if (failed()) return 4
  }
  return 0
}
