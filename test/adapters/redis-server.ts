import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { freePort } from '../helpers/ports'

/** A redis-server of a test's own, on a spare port, to pause, cut or kill. */
export interface OwnRedisServer {
  port: number
  process: ChildProcess
  /** Stops it for good (SIGKILL works on a paused server too) and waits for it to exit. */
  stop(): Promise<void>
}

/** Starts a throwaway redis-server (no persistence) and waits until it answers PING. */
export async function startRedisServer(): Promise<OwnRedisServer> {
  const port = await freePort()
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()))
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL')
    await exited
  }
  for (let i = 0; ; i++) {
    try {
      const answer = execFileSync('redis-cli', ['-p', String(port), 'ping'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
      if (answer.includes('PONG')) break
    } catch {
      // not up yet
    }
    if (i === 100) {
      await stop()
      throw new Error(`redis-server on port ${port} did not start`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { port, process: server, stop }
}
