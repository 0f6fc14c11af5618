// keycycle/secret-scanning: GitHub's secret scanning partner program. Re-exports only; the
// framework hosts export their own `secretScanning` (keycycle/express, /koa, /fastify, /hono;
// keycycle/fetch re-exports this one).
export type {
  LeakFeedback,
  LeakLabel,
  LeakMatch,
  LeakReportBody,
} from '../core/secret-scanning'
export {
  leakFeedback,
  MAX_LEAK_REPORT_BYTES,
  MAX_LEAK_REPORT_MATCHES,
  parseLeakReport,
  tokenPatternFor,
} from '../core/secret-scanning'
export type { LeakOutcome } from '../service/events'
export type { LeakPolicy, LeakVerdict, ReportLeaksOptions } from '../service/leak-reports'
export { secretScanning } from './fetch'
export type { SecretScanningOptions } from './handler'
export type {
  GitHubPublicKey,
  PublicKeysFetch,
  PublicKeysOptions,
  PublicKeysResponse,
  VerifyingKey,
} from './public-keys'
export { GITHUB_PUBLIC_KEYS_URL, PUBLIC_KEYS_REFRESH_MS } from './public-keys'
export { derToP1363, verifyGitHubSignature } from './signature'
