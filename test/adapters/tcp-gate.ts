import { type AddressInfo, createServer, type Socket, connect as tcpConnect } from 'node:net'

/**
 * A TCP proxy to a local server that counts the connections it accepts and can hold them: while
 * held, every connection (old or new) stays open but nothing passes either way, as if the server
 * were paused; on release what was held is delivered in order. Without a target it is a server
 * that accepts connections and never says a word.
 */
export interface TcpGate {
  port: number
  /** Connections accepted so far. */
  accepted(): number
  hold(): void
  release(): void
  /** Cuts every connection and stops listening. */
  close(): Promise<void>
}

export async function tcpGate(targetPort?: number): Promise<TcpGate> {
  let accepted = 0
  let held = false
  const queued: (() => void)[] = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    accepted++
    sockets.add(client)
    client.on('error', () => client.destroy())
    client.on('close', () => sockets.delete(client))
    if (targetPort === undefined) return
    const upstream = tcpConnect(targetPort, '127.0.0.1')
    sockets.add(upstream)
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('data', (chunk) => {
        const pass = () => {
          if (!to.destroyed) to.write(chunk)
        }
        if (held) queued.push(pass)
        else pass()
      })
      from.on('error', () => to.destroy())
      from.on('close', () => {
        sockets.delete(from)
        to.destroy()
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    hold() {
      held = true
    },
    release() {
      held = false
      for (const pass of queued.splice(0)) pass()
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
