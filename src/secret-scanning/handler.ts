import { invalidInput } from '../core/errors'
import {
  type LeakFeedback,
  leakFeedback,
  MAX_LEAK_REPORT_BYTES,
  parseLeakReport,
} from '../core/secret-scanning'
import { errorResponse, faultResponse } from '../http/error-responses'
import type { HttpResponse } from '../http/http-types'
import { defaultOnError } from '../http/report'
import type { Keycycle } from '../service/keycycle'
import type { LeakPolicy } from '../service/leak-reports'
import { checkPublicKeys, type PublicKeysOptions, publicKeySource } from './public-keys'
import { declaresMore } from './raw-body'
import { verifyGitHubSignature } from './signature'

/** Options of every host's `secretScanning`. */
export interface SecretScanningOptions extends PublicKeysOptions {
  /**
   * What a true positive does: `revoke` (default) stops that token at once; `notify` leaves it
   * working. Either way `key.leaked` is recorded.
   */
  policy?: LeakPolicy
  /**
   * Receives each fault a report was answered with (503 for the store or the key list, 500
   * for anything unexpected). Default: one redacted line on `console.error` for a 5xx.
   */
  onError?: (error: unknown) => void
}

/** A report as the host hands it over: its headers, and its body read up to a limit. */
export interface SignedReport {
  /** A header's value by lower-case name, or null. */
  header(name: string): string | null
  /** The raw body, or null once it is longer than `limit` bytes. */
  body(limit: number): Promise<Uint8Array | null>
}

/** The neutral handler the host entries translate: a report in, the response to send out. */
export type ReportHandler = (report: SignedReport) => Promise<HttpResponse>

const refused = () => errorResponse('unauthorized', 'a valid GitHub signature is required')
const tooLarge = (what: string) => errorResponse('payload_too_large', what)

/**
 * Handles a GitHub secret scanning report: refuses it (changing nothing) when it is unsigned,
 * signed by a key GitHub does not list or over other bytes (401), larger than 1 MiB or with
 * more than 1,000 matches (413), or not a list of matches (400); otherwise hands the matches
 * to `kc.reportLeaks` under `policy` and answers 200 with GitHub's feedback body: one
 * `{ token_hash, token_type, label }` per match, in order. 503 when the keys or the store
 * cannot be reached (GitHub sends the report again). Throws `validation` for bad options.
 */
export function reportHandler(kc: Keycycle, options: SecretScanningOptions = {}): ReportHandler {
  if (options.keys !== undefined) checkPublicKeys(options.keys)
  const policy = options.policy ?? 'revoke'
  if (policy !== 'revoke' && policy !== 'notify') {
    throw invalidInput('policy', "must be 'revoke' or 'notify'")
  }
  const keys = publicKeySource(options)
  return async (report) => {
    try {
      const identifier = report.header('github-public-key-identifier')
      const signature = report.header('github-public-key-signature')
      if (declaresMore(report.header('content-length'), MAX_LEAK_REPORT_BYTES)) {
        return tooLarge('a report is at most 1 MiB')
      }
      const body = await report.body(MAX_LEAK_REPORT_BYTES)
      if (body === null) return tooLarge('a report is at most 1 MiB')
      if (!identifier || !signature) return refused()
      const key = await keys(identifier.trim())
      if (key === 'unavailable') {
        return errorResponse(
          'unavailable',
          'the signing keys could not be read',
          {},
          {
            'retry-after': '60',
          },
        )
      }
      if (key === 'unknown' || !(await verifyGitHubSignature(key, signature, body))) {
        return refused()
      }
      const parsed = parseLeakReport(new TextDecoder('utf-8', { fatal: false }).decode(body))
      if (!parsed.ok) {
        return parsed.reason === 'too_many_matches'
          ? tooLarge('a report holds at most 1,000 matches')
          : errorResponse('validation', 'body: must be a list of { token, type, url, source }')
      }
      const verdicts = await kc.reportLeaks(parsed.matches, { policy })
      const feedback: LeakFeedback[] = parsed.matches.map((match, i) =>
        leakFeedback(match, verdicts[i]!.label),
      )
      return { status: 200, headers: {}, body: feedback }
    } catch (error) {
      const response = faultResponse(error)
      try {
        ;(options.onError ?? defaultOnError)(error)
      } catch {
        // The answer goes out whatever the reporter does.
      }
      return response
    }
  }
}
