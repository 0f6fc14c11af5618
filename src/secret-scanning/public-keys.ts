import { KeycycleError } from '../core/errors'
import { fromBase64 } from '../webhooks/hmac'

/** GitHub's own list of the keys it signs secret scanning reports with. */
export const GITHUB_PUBLIC_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning'
/** Least time between two fetches of the key list, in ms: one minute. */
export const PUBLIC_KEYS_REFRESH_MS = 60_000

/** One public key, as GitHub lists it: its identifier and the PEM (SPKI) text of the key. */
export interface GitHubPublicKey {
  /** What `Github-Public-Key-Identifier` names. */
  keyIdentifier: string
  /** `-----BEGIN PUBLIC KEY-----` …: an ECDSA P-256 key. */
  key: string
}

/** The answer of the fetch the key list is read with: the Fetch API's `Response` fits. */
export interface PublicKeysResponse {
  ok: boolean
  status: number
  json(): Promise<unknown>
}

/** Fetches the key list: the global `fetch` by default; tests inject their own. */
export type PublicKeysFetch = (url: string) => Promise<PublicKeysResponse>

/** Where the verifying keys come from. */
export interface PublicKeysOptions {
  /**
   * The keys, given directly (tests, hosts without access to GitHub's API): then nothing is
   * fetched, and an identifier not among them is refused.
   */
  keys?: readonly GitHubPublicKey[]
  /** Where the key list is fetched from. Default {@link GITHUB_PUBLIC_KEYS_URL}. */
  keysUrl?: string
  /** Default: the global `fetch`. */
  fetch?: PublicKeysFetch
  /** Epoch ms now, for the refresh interval. Default `Date.now()`. */
  now?: () => number
}

/** A key found, an identifier GitHub does not list (`unknown`), or a list that could not be read. */
export type PublicKeyLookup = VerifyingKey | 'unknown' | 'unavailable'

/** The verifying keys, by identifier; see {@link publicKeySource}. */
export type PublicKeySource = (identifier: string) => Promise<PublicKeyLookup>

/** A key Web Crypto verifies with (its `CryptoKey`, named without DOM or Node types). */
export type VerifyingKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>

const PEM = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/

async function importKey(pem: string): Promise<VerifyingKey | null> {
  const der = fromBase64(PEM.exec(pem)?.[1]?.replace(/\s+/g, '') ?? '')
  if (der === null || der.length === 0) return null
  try {
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256' }
    return await globalThis.crypto.subtle.importKey('spki', der, algorithm, false, ['verify'])
  } catch {
    return null
  }
}

// GitHub's answer: `{ public_keys: [{ key_identifier, key, is_current }] }`.
function readList(body: unknown): GitHubPublicKey[] {
  const list = (body as { public_keys?: unknown } | null)?.public_keys
  if (!Array.isArray(list)) return []
  return list.flatMap((item: { key_identifier?: unknown; key?: unknown } | null) =>
    typeof item?.key_identifier === 'string' && typeof item.key === 'string'
      ? [{ keyIdentifier: item.key_identifier, key: item.key }]
      : [],
  )
}

/**
 * The verifying keys, cached: given keys are imported once; fetched ones are fetched on the
 * first lookup and again only for an identifier not in the cache, at most once per
 * {@link PUBLIC_KEYS_REFRESH_MS} (concurrent lookups share one fetch). A key that does not
 * import as ECDSA P-256 is left out. A failed fetch keeps what was cached; a lookup it leaves
 * unanswered is `unavailable` (so the report is answered 503, and GitHub sends it again).
 */
export function publicKeySource(options: PublicKeysOptions = {}): PublicKeySource {
  const cache = new Map<string, VerifyingKey>()
  const now = options.now ?? Date.now
  const url = options.keysUrl ?? GITHUB_PUBLIC_KEYS_URL
  let lastFetch: number | null = null
  let failed = false
  let pending: Promise<void> | null = null
  const store = async (keys: readonly GitHubPublicKey[]) => {
    for (const { keyIdentifier, key } of keys) {
      const imported = await importKey(key)
      if (imported) cache.set(keyIdentifier, imported)
    }
  }
  const given = options.keys ? store(options.keys) : null
  const refresh = async () => {
    lastFetch = now()
    try {
      const fetcher = options.fetch ?? (globalThis.fetch as unknown as PublicKeysFetch)
      const response = await fetcher(url)
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      await store(readList(await response.json()))
      failed = false
    } catch (error) {
      failed = true
      console.error(`keycycle: the secret scanning keys could not be fetched from ${url}`, error)
    }
  }
  return async (identifier) => {
    if (given) {
      await given
      return cache.get(identifier) ?? 'unknown'
    }
    const cached = cache.get(identifier)
    if (cached) return cached
    if (pending === null && (lastFetch === null || now() - lastFetch >= PUBLIC_KEYS_REFRESH_MS)) {
      pending = refresh().finally(() => {
        pending = null
      })
    }
    if (pending) await pending
    return cache.get(identifier) ?? (failed ? 'unavailable' : 'unknown')
  }
}

/** Throws `validation` unless `keys` is a list of `{ keyIdentifier, key }` strings. */
export function checkPublicKeys(keys: unknown): void {
  const ok =
    Array.isArray(keys) &&
    keys.every(
      (k: Partial<GitHubPublicKey> | null) =>
        typeof k?.keyIdentifier === 'string' && typeof k.key === 'string',
    )
  if (!ok) {
    throw new KeycycleError('validation', 'keys: must be a list of { keyIdentifier, key }', {
      details: { field: 'keys' },
    })
  }
}
