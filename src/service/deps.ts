import type { IdKind } from '../core/ids'
import type { MintedDigest } from '../core/keys'

// The small dependencies the service's parts are built from, each a plain function. The
// composition root (keycycle.ts) makes them once from the options and hands each part only
// what it uses.

/** The injected clock, checked: a positive integer epoch ms, or a `validation` fault. */
export type Now = () => number

/** The injected random source, checked: exactly `n` bytes, or a `validation` fault. */
export type Bytes = (n: number) => Uint8Array

/** A fresh prefixed ULID (`key_…`, `org_…`, `evt_…`) at `now`. */
export type NewId = (kind: IdKind, now: number) => string

/**
 * A fresh token for a key: the token for the caller (returned once, never stored), and the
 * digest and hint for the store.
 */
export type Mint = (keyId: string) => { token: string; minted: MintedDigest }
