/** Waits until `done()` holds, polling every 5 ms, for at most `ms`; resolves whether it held. */
export async function until(done: () => boolean | Promise<boolean>, ms = 2000): Promise<boolean> {
  const end = performance.now() + ms
  while (!(await done()) && performance.now() < end) await new Promise((r) => setTimeout(r, 5))
  return done()
}
