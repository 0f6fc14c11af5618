import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { run } from '../../src/cli/program'
import { mintToken } from '../../src/core/token'

async function cli(...argv: string[]) {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk) => (out += String(chunk)))
  stderr.on('data', (chunk) => (err += String(chunk)))
  const status = await run(argv, { stdout, stderr, stdin: new PassThrough(), env: {} })
  return { status, out, err }
}

describe('keycycle token-pattern', () => {
  it('prints the pattern of the tokens of --token-prefix, needing no store', async () => {
    const { status, out } = await cli('token-pattern', '--token-prefix', 'acme_live')
    expect(status).toBe(0)
    const pattern = new RegExp(`^${out.trim()}$`)
    const { token } = mintToken('acme_live', 'key_01JABCDEFGHJKMNPQRSTVWXYZ0', new Uint8Array(32))
    expect(pattern.test(token)).toBe(true)
    expect(pattern.test(token.replace('acme_live', 'acme_test'))).toBe(false)
    const json = await cli('token-pattern', '--json')
    expect(JSON.parse(json.out)).toEqual({
      token_prefix: 'kc',
      pattern: expect.stringMatching(/^kc_/),
    })
  })

  it('refuses a prefix keycycle would refuse', async () => {
    const { status, err } = await cli('token-pattern', '--token-prefix', 'Bad-Prefix')
    expect(status).not.toBe(0)
    expect(err).toContain('validation')
  })
})
