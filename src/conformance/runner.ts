/**
 * The assertions the suite makes on `expect(value)`: a subset that Jest's and Vitest's
 * `expect` both satisfy, so either can be passed as is.
 */
export interface Assertion {
  /** The same assertions, negated. */
  readonly not: Assertion
  /** `Object.is` equality. */
  toBe(expected: unknown): unknown
  /** Recursive equality of values. */
  toEqual(expected: unknown): unknown
  /** The value has at least the given properties, recursively. */
  toMatchObject(expected: object): unknown
  /** A string contains the substring, or an array the item. */
  toContain(item: unknown): unknown
  toHaveLength(length: number): unknown
  toBeNull(): unknown
  toBeInstanceOf(type: unknown): unknown
  toBeGreaterThan(value: number): unknown
  toBeGreaterThanOrEqual(value: number): unknown
}

/** `expect` as the suite calls it: one argument, returning an {@link Assertion}. */
export type Expect = (actual: unknown) => Assertion

/** A test body or hook; the suite's are all asynchronous. */
export type TestFunction = () => Promise<void>

/** `it` as the suite calls it: Jest's and Vitest's `it` (or `test`) both fit. */
export interface TestDeclaration {
  (name: string, body: TestFunction, timeout?: number): unknown
  /**
   * Declares a test that is reported skipped and not run: Jest's and Vitest's `it.skip`. The
   * suite declares a section that does not apply to the store (the change channel, for a store
   * without `watch`) this way. On a runner without it, such a section declares no test at all,
   * so nothing that did not run is ever reported as passed.
   */
  skip?(name: string, body: TestFunction, timeout?: number): unknown
}

/**
 * The test runner's functions the suite uses, typed as the subset of Jest's and Vitest's API
 * it needs, so the suite imports no runner. `timeout` (ms) is passed only when the caller sets
 * `timeoutMs`.
 */
export interface TestRunner {
  describe(name: string, body: () => void): unknown
  it: TestDeclaration
  expect: Expect
  beforeAll?(hook: TestFunction, timeout?: number): unknown
  afterAll?(hook: TestFunction, timeout?: number): unknown
  beforeEach?(hook: TestFunction, timeout?: number): unknown
  afterEach?(hook: TestFunction, timeout?: number): unknown
}
