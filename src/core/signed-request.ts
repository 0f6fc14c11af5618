// What a signed request is made of (NCP API Gateway signature v2), shared by the client's
// `signRequest` (`keycycle/sign`) and the server's verification: no imports, so the client
// entry bundles nothing else.

/** The three headers of a signed request, lower-case as HTTP/2 and Node give them. */
export const SIGNED_REQUEST_HEADERS = {
  timestamp: 'x-ncp-apigw-timestamp',
  accessKey: 'x-ncp-iam-access-key',
  signature: 'x-ncp-apigw-signature-v2',
} as const

/** How far a signed request's timestamp may be from the server's clock, either way: 5 min in ms. */
export const SIGNATURE_WINDOW_MS = 300_000

/**
 * The text a signature covers: `METHOD + " " + target + "\n" + timestamp + "\n" + accessKey`.
 * `method` is upper-cased (HTTP methods are sent upper-case; a client signing `patch` means the
 * same request). `target` is the request's path and query string exactly as sent, no host. The
 * body is not signed.
 */
export function signingMessage(
  method: string,
  target: string,
  timestamp: string,
  accessKey: string,
): string {
  return `${method.toUpperCase()} ${target}\n${timestamp}\n${accessKey}`
}
