/**
 * The command line is wrong: an unknown command or option, a missing or malformed value, or
 * something only the command can see (no store, nothing to update). Exit status 2.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help the report points to (`keycycle key create`), if known. */
    readonly command?: string,
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

/** This version of the library cannot do what the command asks. Exit status 3. */
export class UnsupportedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnsupportedError'
  }
}
