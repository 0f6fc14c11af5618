import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '../..')

/** Starts `node examples/server.mjs` and resolves once it listens, with what it printed. */
export async function startExample(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, ['examples/server.mjs'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example did not start:\n${output}`)), 20_000)
    child.stdout!.on('data', (chunk) => {
      output += chunk
      if (output.includes('listening on')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.stderr!.on('data', (chunk) => {
      output += chunk
    })
    child.once('exit', (code) => reject(new Error(`example exited with ${code}:\n${output}`)))
  })
  return { child, output }
}
