import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

/** The built binary, as `npm install` links it (package.json `bin`). */
export const CLI = join(import.meta.dirname, '../../dist/cli.js')

// Whatever JSON.parse returns: the assertions check its shape.
type Parsed = ReturnType<typeof JSON.parse>

export interface CliResult {
  status: number | null
  stdout: string
  stderr: string
  /** stdout parsed as JSON, when it is one JSON document; else undefined. */
  json: Parsed
  /** stderr parsed as JSON (the error body `--json` reports failures with); else undefined. */
  error: Parsed
}

const parse = (text: string) => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const LATER_CLOCK = pathToFileURL(join(import.meta.dirname, 'later-clock.mjs')).href

/**
 * Runs `node dist/cli.js …args` as a subprocess, stdout not a terminal, with `env` added to this
 * process's environment less any KEYCYCLE_ variable (so the caller's own settings never leak in),
 * and `input` on stdin. With `laterMs`, the subprocess's clock reads that far ahead.
 */
export function keycycle(
  args: string[],
  options: { env?: Record<string, string>; input?: string; laterMs?: number } = {},
): Promise<CliResult> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('KEYCYCLE_')),
  )
  const later = options.laterMs === undefined ? [] : ['--import', LATER_CLOCK]
  const clock = options.laterMs === undefined ? {} : { LATER_MS: String(options.laterMs) }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...later, CLI, ...args], {
      env: { ...env, ...options.env, ...clock },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (status) =>
      resolve({ status, stdout, stderr, json: parse(stdout), error: parse(stderr) }),
    )
    child.stdin.end(options.input ?? '')
  })
}
