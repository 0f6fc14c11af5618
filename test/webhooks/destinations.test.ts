import { lookup as systemLookup } from 'node:dns/promises'
import { createServer as createHttpServer, type Server } from 'node:http'
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net'
import { hostname as machineName } from 'node:os'
import { createServer as createTlsServer } from 'node:tls'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  checkWebhookDestination,
  forbiddenAddressClass,
  sendWebhook,
  WebhookDestinationError,
  type WebhookFetch,
  type WebhookLookup,
} from '../../src/webhooks'
import { nodeNetworking, nodePost } from '../../src/webhooks/node-transport'

const SECRET = 'a secret long enough for the ricloud format'

const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

const listen = async (server: Server | ReturnType<typeof createTcpServer>, host: string) => {
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  closers.push(() => new Promise((resolve) => server.close(resolve)))
  return (server.address() as AddressInfo).port
}

/**
 * A plain TCP server on `::` (dual stack: it also accepts IPv4, including at 127.0.0.1 and
 * 0.0.0.0) that counts the sockets it accepts and the bytes they send, and answers the first
 * bytes of each with `HTTP/1.1 200`.
 */
async function startListener() {
  const sockets: Socket[] = []
  let bytes = 0
  const server = createTcpServer((socket) => {
    sockets.push(socket)
    socket.on('error', () => {})
    socket.once('data', () =>
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'),
    )
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length
    })
  })
  const port = await listen(server, '::')
  closers.push(async () => {
    for (const socket of sockets) socket.destroy()
  })
  return { port, accepted: () => sockets.length, bytes: () => bytes }
}

const message = () => ({
  id: crypto.randomUUID(),
  type: 'webhook_config.test',
  at: Date.now(),
  data: {},
})
const send = (url: string, options: Partial<Parameters<typeof sendWebhook>[0]> = {}) =>
  sendWebhook({
    format: 'ricloud',
    target: { url, secret: SECRET },
    message: message(),
    ...options,
  })

// A lookup that answers each call with the next of `answers`, recording the names asked.
function scriptedLookup(...answers: string[][]): WebhookLookup & { asked: string[] } {
  const asked: string[] = []
  const lookup = async (name: string) => {
    asked.push(name)
    return answers.shift() ?? []
  }
  return Object.assign(lookup, { asked })
}

// Each spelling of a loopback or unspecified address, as a URL's host; every one reaches the
// listener when allowed (the control that makes "no connection" mean something).
const SPELLINGS: [string, string][] = [
  ['localhost', 'loopback'],
  ['127.0.0.1', 'loopback'],
  ['127.1', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['2130706433', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['[::1]', 'loopback'],
  ['[::ffff:127.0.0.1]', 'loopback'],
  ['[::ffff:7f00:1]', 'loopback'],
  ['0.0.0.0', 'unspecified'],
  ['[::]', 'unspecified'],
]

// This machine's name, when the system resolver answers it with refused addresses only (as
// /etc/hosts commonly does), tests the default lookup without editing /etc/hosts.
const own = machineName()
const ownAddresses = await systemLookup(own, { all: true }).catch(() => [])
const ownRefused =
  ownAddresses.length > 0 && ownAddresses.every((a) => forbiddenAddressClass(a.address) !== null)

describe('delivery refuses a destination inside the network and opens no connection', () => {
  it.each(SPELLINGS)('http://%s:<port>/ is refused as %s', async (host, addressClass) => {
    const listener = await startListener()
    const url = `http://${host}:${listener.port}/hooks`
    const error = await send(url).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WebhookDestinationError)
    expect(error).toMatchObject({ code: 'forbidden', addressClass, details: { field: 'url' } })
    expect((error as Error).message).toMatch(/^webhook destination refused: /)
    expect((error as Error).message).not.toContain(SECRET)

    // An injected transport is never called for a refused host as written.
    const fetch = vi.fn<WebhookFetch>()
    await expect(send(url, { fetch })).rejects.toBeInstanceOf(WebhookDestinationError)
    expect(fetch).not.toHaveBeenCalled()
    expect(listener.accepted()).toBe(0)

    // Allowed, the same URL reaches the listener.
    await expect(send(url, { allowPrivateDestinations: true })).resolves.toBe(200)
    expect(listener.accepted()).toBe(1)
  })

  it('refuses the cloud metadata address and the other classes, connecting to none', async () => {
    const lookup = scriptedLookup()
    for (const [url, addressClass] of [
      ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
      ['http://[::ffff:a9fe:a9fe]/latest/meta-data/', 'linkLocal'],
      ['http://10.0.0.1:6379/', 'private'],
      ['http://192.168.1.1/', 'private'],
      ['http://100.64.0.1/', 'carrierGradeNat'],
      ['http://[fd00::1]/', 'uniqueLocal'],
      ['http://[fe80::1]/', 'linkLocal'],
      ['http://224.0.0.1/', 'multicast'],
      ['http://255.255.255.255/', 'broadcast'],
      ['http://[64:ff9b::7f00:1]/', 'loopback'],
    ] as const) {
      await expect(send(url, { lookup }), url).rejects.toMatchObject({
        name: 'WebhookDestinationError',
        addressClass,
      })
    }
    expect(lookup.asked).toEqual([])
  })

  it('refuses a name the injected lookup resolves to 127.0.0.1, after one lookup', async () => {
    const listener = await startListener()
    const lookup = scriptedLookup(['127.0.0.1'])
    await expect(send(`http://hooks.test:${listener.port}/`, { lookup })).rejects.toMatchObject({
      name: 'WebhookDestinationError',
      hostname: 'hooks.test',
      address: '127.0.0.1',
      addressClass: 'loopback',
      message: 'webhook destination refused: hooks.test resolves to 127.0.0.1, a loopback address',
    })
    expect(lookup.asked).toEqual(['hooks.test'])
    expect(listener.accepted()).toBe(0)
  })

  it('fails a delivery whose lookup fails or finds nothing, as a network error', async () => {
    const failing: WebhookLookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' })
    }
    await expect(send('http://nowhere.test/', { lookup: failing })).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('ENOTFOUND'),
    })
    await expect(
      send('http://nowhere.test/', { lookup: scriptedLookup([]) }),
    ).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('no address for nowhere.test'),
    })
    await expect(
      send('http://nowhere.test/', { lookup: 'dns' as unknown as WebhookLookup }),
    ).rejects.toMatchObject({ code: 'validation', details: { field: 'lookup' } })
  })

  it('refuses a name with one public and one refused address whole, connecting to neither', async () => {
    const listener = await startListener()
    const lookup = scriptedLookup(['8.8.8.8', '::1'])
    await expect(send(`http://hooks.test:${listener.port}/`, { lookup })).rejects.toMatchObject({
      address: '::1',
      addressClass: 'loopback',
    })
    expect(listener.accepted()).toBe(0)
  })

  it('checks the address it connects to: a DNS answer that changes after the check is refused', async () => {
    const listener = await startListener()
    // Public when the config is checked, 127.0.0.1 when the delivery resolves the name.
    const lookup = scriptedLookup(['93.184.215.14'], ['127.0.0.1'])
    const url = `http://rebind.test:${listener.port}/hooks`
    expect(await checkWebhookDestination(url, { lookup })).toBeNull()
    await expect(send(url, { lookup })).rejects.toMatchObject({
      name: 'WebhookDestinationError',
      address: '127.0.0.1',
    })
    // One resolution per delivery, the one it would have connected with: nothing in between.
    expect(lookup.asked).toEqual(['rebind.test', 'rebind.test'])
    expect(listener.accepted()).toBe(0)
  })

  it.skipIf(!ownRefused)(
    `refuses a name the system resolver answers with a refused address (this machine's name, ${own})`,
    async () => {
      const listener = await startListener()
      await expect(send(`http://${own}:${listener.port}/`)).rejects.toBeInstanceOf(
        WebhookDestinationError,
      )
      expect(listener.accepted()).toBe(0)
    },
  )

  it('checks the connected address again, before a byte is written', async () => {
    // Past the checks on the host as written (which a runtime ignoring `lookup` would also be):
    // the socket reaches 127.0.0.1, the check on its remote address closes it unwritten.
    const listener = await startListener()
    const node = nodeNetworking()!
    const post = nodePost(
      node,
      new URL(`http://127.0.0.1:${listener.port}/hooks`),
      { headers: {}, body: 'secret payload', signal: new AbortController().signal },
      { lookup: scriptedLookup(), allowPrivate: false },
    )
    await expect(post).rejects.toMatchObject({
      name: 'WebhookDestinationError',
      message: 'webhook destination refused: 127.0.0.1 is a loopback address',
    })
    await vi.waitFor(() => expect(listener.accepted()).toBe(1))
    expect(listener.bytes()).toBe(0)
  })
})

describe('redirects are never followed', () => {
  it.each([
    ['the default transport', undefined],
    ['an injected fetch', globalThis.fetch as WebhookFetch],
  ])('with %s, a 302 to another address fails the delivery there', async (_, fetch) => {
    const listener = await startListener()
    let asked = 0
    const redirecting = createHttpServer((_req, res) => {
      asked++
      res.writeHead(302, { Location: `http://[::1]:${listener.port}/internal` }).end()
    })
    const port = await listen(redirecting, '127.0.0.1')
    // Private destinations allowed, to reach the first hop: even so, nothing follows the
    // redirect, to the listener or anywhere.
    await expect(
      send(`http://127.0.0.1:${port}/hooks`, {
        allowPrivateDestinations: true,
        ...(fetch ? { fetch } : {}),
      }),
    ).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('HTTP 302') })
    expect(asked).toBe(1)
    expect(listener.accepted()).toBe(0)
  })
})

describe('what the default transport sends to a checked address', () => {
  it('keeps the URL’s host name as the Host header', async () => {
    const hosts: (string | undefined)[] = []
    const receiver = createHttpServer((req, res) => {
      hosts.push(req.headers.host)
      req.resume().on('end', () => res.end('OK'))
    })
    const port = await listen(receiver, '127.0.0.1')
    const lookup = scriptedLookup(['127.0.0.1'])
    await send(`http://hooks.test:${port}/`, { lookup, allowPrivateDestinations: true })
    expect(hosts).toEqual([`hooks.test:${port}`])
  })

  it('keeps the URL’s host name as the TLS server name', async () => {
    const names: string[] = []
    const tls = createTlsServer({
      SNICallback: (name, callback) => {
        names.push(name)
        callback(new Error('no certificate here'), undefined)
      },
    })
    tls.on('tlsClientError', () => {})
    const port = await listen(tls as unknown as Server, '127.0.0.1')
    const lookup = scriptedLookup(['127.0.0.1'])
    await expect(
      send(`https://hooks.test:${port}/`, { lookup, allowPrivateDestinations: true }),
    ).rejects.toMatchObject({ code: 'unavailable' })
    expect(names).toEqual(['hooks.test'])
  })
})

describe('with an injected fetch, the host as written is what is checked', () => {
  it('passes a host name to the transport unresolved: its addresses are the host’s to check', async () => {
    const fetch = vi.fn<WebhookFetch>(async () => ({ status: 204 }))
    const lookup = scriptedLookup(['127.0.0.1'])
    await expect(send('https://hooks.test/a', { fetch, lookup })).resolves.toBe(204)
    expect(fetch).toHaveBeenCalledOnce()
    expect(lookup.asked).toEqual([])
  })
})
