import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request as a real HTTP server received it, with its body's raw text. */
export interface Received {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

/** What the receiver answers a request with: a status, or `'hang'` to never answer. */
export type Answer = number | 'hang'

/**
 * A real node:http server on 127.0.0.1, port 0, recording every request. `answers` are used in
 * turn (the last one repeats); default 200.
 */
export async function startReceiver(answers: Answer[] = [200]) {
  const received: Received[] = []
  const hanging = new Set<() => void>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      received.push({
        method: req.method!,
        path: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      })
      const answer = answers[Math.min(received.length, answers.length) - 1]!
      if (answer === 'hang') {
        hanging.add(() => res.destroy())
        return
      }
      res.statusCode = answer
      res.end(answer < 300 ? 'OK' : 'no')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    async close() {
      for (const end of hanging) end()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>
