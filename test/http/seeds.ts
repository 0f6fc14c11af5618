import { execFile } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { promisify } from 'node:util'
import { expect } from 'vitest'
import { codeBlocks, markedSection } from '../helpers/markdown'

/**
 * The curl blocks of the seed calls (the section between `<!-- seed-calls:start -->` and
 * `<!-- seed-calls:end -->`, in whichever document of README.md and docs/ holds it), in order,
 * exactly as a reader copies them.
 */
export function seedCalls(): string[] {
  return codeBlocks(markedSection('seed-calls').text)
    .filter((block) => block.lang === 'sh')
    .map((block) => `${block.code}\n`)
}

/**
 * Runs the documented seed calls as written (`bash -c`, curl) against a server on `port` with
 * an organisation's `token`, and checks each documented answer; the signed regeneration is
 * also sent signed by node:crypto's HMAC. Returns the key and the signing key it created.
 * Asynchronous, so the server may run in this very process.
 */
export async function runSeedCalls(
  port: number,
  token: string,
): Promise<{ id: string; organisation: string; signing: { id: string; token: string } }> {
  const calls = seedCalls()
  expect(calls).toHaveLength(9)
  const env: Record<string, string> = { ...(process.env as Record<string, string>) }
  env.KEYCYCLE_TOKEN = token
  const run = async (block: string) => {
    const script = block.replaceAll('localhost:3000', `localhost:${port}`)
    const { stdout } = await promisify(execFile)('bash', ['-c', script], { env, encoding: 'utf8' })
    return JSON.parse(stdout)
  }

  const created = await run(calls[0]!)
  expect(created).toMatchObject({
    resource: 'key',
    storage_config: 2,
    token: expect.stringMatching(/^kc_/),
  })
  env.KEY_ID = created.id
  const read = await run(calls[1]!)
  expect(read).toMatchObject({ id: created.id, storage_config: 2 })
  expect(read).not.toHaveProperty('token')
  expect(await run(calls[2]!)).toMatchObject({
    resource: 'list',
    url: '/keys',
    data: expect.any(Array),
  })
  expect(await run(calls[3]!)).toMatchObject({ id: created.id, webhook_config: 2, version: 2 })
  const rotated = await run(calls[4]!)
  expect(rotated.token).toMatch(/^kc_/)
  expect(rotated.primary.date_retiring_until).not.toBeNull()
  const regenerated = await run(calls[5]!)
  expect(regenerated.apiKey).toMatchObject({
    apiKeyId: created.id,
    primaryKey: expect.stringMatching(/^kc_/),
    domainCode: 'PUB',
  })
  const signing = await run(calls[6]!)
  expect(signing).toMatchObject({ signing: true, token: expect.stringMatching(/^kc_/) })
  env.SIGNING_KEY_ID = signing.id
  env.SIGNING_TOKEN = signing.token
  // Signed by `keycycle sign`, as the documented call does.
  const signed = await run(calls[7]!)
  expect(signed.apiKey).toMatchObject({
    apiKeyId: signing.id,
    secondaryKey: expect.stringMatching(/^kc_/),
    domainCode: 'PUB',
  })
  // Signed independently of keycycle (node:crypto's HMAC, NCP's published algorithm).
  const target = `/api/v1//api-keys/${signing.id}`
  const timestamp = String(Date.now())
  const message = `PATCH ${target}\n${timestamp}\n${signing.id}`
  const independent = await fetch(`http://localhost:${port}${target}`, {
    method: 'PATCH',
    headers: {
      'content-type': 'application/json',
      'x-ncp-apigw-timestamp': timestamp,
      'x-ncp-iam-access-key': signing.id,
      'x-ncp-apigw-signature-v2': createHmac('sha256', signing.token)
        .update(message)
        .digest('base64'),
    },
    body: JSON.stringify({ keyType: 'SECONDARY' }),
  })
  expect(independent.status).toBe(200)
  const body = (await independent.json()) as { apiKey: unknown }
  expect(body.apiKey).toMatchObject({ apiKeyId: signing.id })
  expect(await run(calls[8]!)).toMatchObject({ organisation: created.organisation })
  return {
    id: created.id,
    organisation: created.organisation,
    signing: { id: signing.id, token: signing.token },
  }
}
