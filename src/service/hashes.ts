import { type HashFunctions, NOBLE_HASHES } from '../core/digest'

// The subset of node:crypto used here, typed structurally so this file needs no Node types
// and bundles for runtimes without Node (the module is looked up at run time, not imported).
interface NodeCrypto {
  /** One-shot hash (Node ≥ 20.12 and 21.7): no Hash object, under half createHash's cost. */
  hash?(algorithm: 'sha256', data: string, encoding: 'hex'): string
  createHash(algorithm: 'sha256'): { update(data: string): { digest(encoding: 'hex'): string } }
  createHmac(
    algorithm: 'sha256',
    key: Uint8Array,
  ): { update(data: string): { digest(encoding: 'hex'): string } }
}

type ProcessWithBuiltins = { getBuiltinModule?: (id: string) => unknown }

/**
 * node:crypto's SHA-256 and HMAC where the runtime has it (Node ≥ 20.16, Bun, Deno), else the
 * portable implementation. Both give identical digests (a test cross-checks them); node:crypto
 * is several times faster per digest, which is most of a verification's CPU time.
 */
export function platformHashes(): HashFunctions {
  const proc = (globalThis as { process?: ProcessWithBuiltins }).process
  const crypto = proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined
  if (crypto === undefined) return NOBLE_HASHES
  const { hash } = crypto
  return {
    sha256Hex: hash
      ? (message) => hash('sha256', message, 'hex')
      : (message) => crypto.createHash('sha256').update(message).digest('hex'),
    hmacSha256Hex: (key, message) => crypto.createHmac('sha256', key).update(message).digest('hex'),
  }
}
