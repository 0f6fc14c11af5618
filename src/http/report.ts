import { KeycycleError } from '../core/errors'
import { errorStatus } from './error-status'
import type { ErrorOptions, HttpResponse } from './http-types'

// A token is 80+ word characters; IDs (`key_…`, `org_…`) are 30. Any run of 40 or more is
// redacted, so a token (or most of one) never reaches a log, whatever message carried it.
const TOKEN_LIKE = /[A-Za-z0-9_]{40,}/g

const redact = (text: string) => text.replace(TOKEN_LIKE, '[redacted]')

function messageOf(value: unknown): string | null {
  return value instanceof Error ? `${value.name}: ${value.message}` : null
}

/**
 * One log line for a fault: `keycycle: <status> <code>: <message> (cause: <name>: <message>)`,
 * with anything shaped like a token redacted. Never the error object itself, whose own fields
 * could carry request data.
 */
export function describeFault(error: unknown): string {
  const keycycle = error instanceof KeycycleError
  const status = errorStatus(error)
  const code = keycycle ? error.code : 'internal'
  const message = (keycycle ? error.message : messageOf(error)) ?? String(error)
  const cause = messageOf(keycycle ? error.cause : undefined)
  return redact(`keycycle: ${status} ${code}: ${message}${cause ? ` (cause: ${cause})` : ''}`)
}

// The messages of the `misconfigured` faults logged so far. Such a store fails every request
// the same way until someone fixes it; its message names its table prefix, so this is one line
// per misconfigured store, however many requests it fails.
const misconfigurations = new Set<string>()

/**
 * The default `onError`: logs faults answered with a 5xx, one line each; 4xx are the client's.
 * A `misconfigured` fault is logged the first time its message is seen in the process only.
 */
export function defaultOnError(error: unknown): void {
  const status = errorStatus(error)
  if (status < 500) return
  if (error instanceof KeycycleError && error.code === 'misconfigured') {
    if (misconfigurations.has(error.message)) return
    misconfigurations.add(error.message)
  }
  console.error(describeFault(error))
}

/**
 * Reports the fault a response answers, if any. Returns `'pass'` when the host asked to handle
 * unexpected faults itself (`passErrors`, for anything not a `KeycycleError`), `'send'` when
 * the framework should send the response. An `onError` that throws does not stop the answer.
 */
export function reportFault<Request>(
  response: HttpResponse,
  request: Request,
  options: ErrorOptions<Request>,
): 'pass' | 'send' {
  if (!('fault' in response)) return 'send'
  if (options.passErrors && !(response.fault instanceof KeycycleError)) return 'pass'
  try {
    ;(options.onError ?? defaultOnError)(response.fault, request)
  } catch {
    // The client still gets its answer; a broken reporter is the host's to notice.
  }
  return 'send'
}
