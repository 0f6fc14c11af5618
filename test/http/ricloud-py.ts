import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * ricloud-py (github.com/reincubate/ricloud, the ricloud seed's own client) run from a git
 * mirror, since it is not installable here: its `ricloud/` package is extracted from the
 * mirror's HEAD into a temporary folder on PYTHONPATH. Its dependencies (requests, click,
 * flask) must be installed for python3. The mirror is `RICLOUD_PY_MIRROR`, default the fetch
 * tool's `/work/.mirror/reincubate+ricloud/repo`.
 */
export const RICLOUD_PY_MIRROR =
  process.env.RICLOUD_PY_MIRROR ?? '/work/.mirror/reincubate+ricloud/repo'

/** Why ricloud-py cannot run here, or null when it can. */
export function ricloudPyUnavailable(): string | null {
  if (!existsSync(RICLOUD_PY_MIRROR)) return `no ricloud-py mirror at ${RICLOUD_PY_MIRROR}`
  try {
    execFileSync('python3', ['-c', 'import requests, click, flask'], { stdio: 'ignore' })
  } catch {
    return 'python3 with requests, click and flask is not available'
  }
  return null
}

/** The extracted client, and ways to run it against `url` with `token`. */
export function ricloudPy(url: string, token: string) {
  const dir = mkdtempSync(join(tmpdir(), 'ricloud-py-'))
  execFileSync('sh', [
    '-c',
    `git -C "$1" archive HEAD ricloud | tar -x -C "$2"`,
    '_',
    RICLOUD_PY_MIRROR,
    dir,
  ])
  // HOME keeps a developer's own ~/.ricloud.ini out; RICLOUD_* are read by ricloud/conf.py.
  const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    HOME: dir,
    PYTHONPATH: dir,
    RICLOUD_URL: url,
    RICLOUD_TOKEN: token,
    ...extra,
  })
  return {
    dir,
    /** Runs `python3 -m ricloud <args>` and returns what it printed. */
    cli: (args: string[]) =>
      execFileSync('python3', ['-m', 'ricloud', ...args], { env: env(), encoding: 'utf8' }),
    /** Runs Python code with `ricloud` importable. */
    python: (code: string) =>
      execFileSync('python3', ['-c', code], { env: env(), encoding: 'utf8' }),
    /**
     * Starts `ricloud event listen 127.0.0.1 <port>` verifying with `secret` (RICLOUD_SECRET),
     * and resolves once Flask listens; `output()` is everything it printed so far.
     */
    async listen(port: number, secret: string) {
      const child: ChildProcess = spawn(
        'python3',
        ['-u', '-m', 'ricloud', 'event', 'listen', '127.0.0.1', String(port)],
        { env: env({ RICLOUD_SECRET: secret }) },
      )
      let output = ''
      child.stdout!.on('data', (chunk) => {
        output += chunk
      })
      child.stderr!.on('data', (chunk) => {
        output += chunk
      })
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`listener did not start:\n${output}`)),
          20_000,
        )
        const check = setInterval(() => {
          if (!output.includes('Running on')) return
          clearInterval(check)
          clearTimeout(timer)
          resolve()
        }, 20)
        child.once('exit', (code) => {
          clearInterval(check)
          reject(new Error(`listener exited with ${code}:\n${output}`))
        })
      })
      return { child, output: () => output }
    },
  }
}
