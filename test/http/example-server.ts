import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '../..')

/** A Node server started by a test: the process, and everything it has printed so far. */
export interface StartedServer {
  child: ChildProcess
  output: () => string
}

/**
 * Starts `node ...args` in `cwd` with `env` added to this process's environment, and resolves
 * once it prints `listening on`; rejects if it exits first or takes longer than `timeoutMs`.
 */
export async function startServer(
  args: string[],
  {
    cwd = ROOT,
    env = {},
    timeoutMs = 20_000,
  }: Partial<{
    cwd: string
    env: Record<string, string>
    timeoutMs: number
  }> = {},
): Promise<StartedServer> {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env } })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const what = args.join(' ')
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start:\n${output}`)),
      timeoutMs,
    )
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
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}:\n${output}`)))
  })
  return { child, output: () => output }
}

/**
 * Starts `node examples/server.mjs` and resolves once it listens, with what it printed. Private
 * webhook destinations are refused unless `env` sets `KEYCYCLE_ALLOW_PRIVATE_WEBHOOKS: '1'`,
 * whatever this process's own environment says.
 */
export async function startExample(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; output: string }> {
  const { child, output } = await startServer(['examples/server.mjs'], {
    env: { KEYCYCLE_ALLOW_PRIVATE_WEBHOOKS: '0', ...env },
  })
  return { child, output: output() }
}
