/**
 * Decides whether a backend's suite runs. Unreachable and not under CI: skipped with a loud
 * message. Unreachable under `CI=true`: the suite runs anyway and fails on connect, so a missing
 * server can never pass CI silently.
 */
export async function shouldRun(name: string, reachable: () => Promise<boolean>): Promise<boolean> {
  if (await reachable().catch(() => false)) return true
  if (process.env.CI === 'true') return true
  console.warn(
    `\n!!! ${name} is unreachable: its store suite is SKIPPED (set CI=true to fail instead)\n`,
  )
  return false
}
