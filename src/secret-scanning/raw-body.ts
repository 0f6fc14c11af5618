/**
 * A request body's bytes, read to the end unless it grows past `limit` bytes: then null, and
 * the rest is not read. Strings (a stream in text mode) are taken as UTF-8.
 */
export async function readRawBody(
  source: AsyncIterable<Uint8Array | string>,
  limit: number,
): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
    size += bytes.length
    if (size > limit) return null
    chunks.push(bytes)
  }
  const all = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.length
  }
  return all
}

/** Bytes a host's body parser already kept (a Buffer, bytes or text), or undefined. */
export function keptBody(value: unknown, limit: number): Uint8Array | null | undefined {
  const bytes =
    value instanceof Uint8Array
      ? value
      : typeof value === 'string'
        ? new TextEncoder().encode(value)
        : undefined
  if (bytes === undefined) return undefined
  return bytes.length > limit ? null : bytes
}

/** A declared `Content-Length` above `limit`: the body need not be read to refuse it. */
export function declaresMore(contentLength: string | null | undefined, limit: number): boolean {
  return contentLength != null && /^\d+$/.test(contentLength) && Number(contentLength) > limit
}

/** The same for a Fetch body stream, read with its reader (every runtime has one). */
export async function readStreamBody(
  stream: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array | null> {
  if (stream === null) return new Uint8Array(0)
  const reader = stream.getReader()
  const chunks = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        yield value
      }
    },
  }
  const bytes = await readRawBody(chunks, limit)
  if (bytes === null) await reader.cancel().catch(() => {})
  return bytes
}
