import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Ports of the test cluster's three masters (`KEYCYCLE_REDIS_CLUSTER_PORTS`, default 7000–7002). */
export const CLUSTER_PORTS = (process.env.KEYCYCLE_REDIS_CLUSTER_PORTS ?? '7000,7001,7002')
  .split(',')
  .map(Number)

const cli = (port: number, ...args: string[]) =>
  execFileSync('redis-cli', ['-p', String(port), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })

const clusterOk = () => {
  try {
    return cli(CLUSTER_PORTS[0]!, 'cluster', 'info').includes('cluster_state:ok')
  } catch {
    return false
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if (check()) return
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`redis cluster: timed out waiting for ${what}`)
}

/**
 * Starts a three-master Redis Cluster from the installed redis-server for the Redis suites, and
 * stops it afterwards. Reuses a cluster already running on the ports. Without redis-server it
 * does nothing; the cluster suite then skips, or fails under CI=true.
 */
export default async function setup(): Promise<() => void> {
  if (clusterOk()) return () => {}
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
  } catch {
    return () => {}
  }
  const dir = mkdtempSync(join(tmpdir(), 'keycycle-redis-cluster-'))
  const servers: ChildProcess[] = CLUSTER_PORTS.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    ),
  )
  const stop = () => {
    for (const server of servers) server.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await until(() => CLUSTER_PORTS.every((p) => cli(p, 'ping').includes('PONG')), 'the servers')
    execFileSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...CLUSTER_PORTS.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { stdio: 'ignore' },
    )
    await until(clusterOk, 'cluster_state:ok')
  } catch (error) {
    stop()
    throw error
  }
  return stop
}
