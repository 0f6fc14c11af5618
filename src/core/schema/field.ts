/**
 * One field of a resource, declared once. Validation, the wire formats (ricloud and NCP), error
 * field names and the README's field table are all derived from these declarations, so adding a
 * field is one entry here plus the behaviour that uses it.
 */
export interface Field {
  /** The ricloud (snake_case) wire name. */
  readonly wire: string
  /** The NCP (camelCase) name, where NCP's responses carry the field. */
  readonly ncp?: string
  /** What the field means, one line, for the docs. */
  readonly doc: string
  /** The wire type as the docs state it, e.g. `string (1–255) \| null`. */
  readonly type: string
  /** The JavaScript API's type where it differs from the wire's, for the docs (`epoch ms`). */
  readonly js?: string
  /** Settable when creating the resource. */
  readonly create?: boolean
  /** Settable by an update; an absent field is kept. */
  readonly patch?: boolean
  /** Only an admin may set it; from anyone else it is `forbidden`. */
  readonly admin?: boolean
  /** `null` is accepted as input: it clears the value (back to the default). */
  readonly nullable?: boolean
  /** Inside a record (a nested object or a list's item): must be given whenever the record is. */
  readonly required?: boolean
  /** Inside a list's item: the value an absent field takes (`scope` is `key` unless given). */
  readonly default?: unknown
  /**
   * Validates a non-null input value and returns the domain value. Throws `validation` naming
   * `path` (the domain path, e.g. `config.publishSourceFiles`). On a list of records (`items`) it
   * runs once every item is read, on the whole list: the rules across items (unique names).
   */
  parse?(value: unknown, path: string): unknown
  /** The domain value as the wire shows it. Default: unchanged. */
  toWire?(value: unknown): unknown
  /** A non-null wire input value as a domain value, before `parse`. Default: unchanged. */
  fromWire?(value: unknown, path: string): unknown
  /** The fields of a nested object, read and presented by the same rules. */
  readonly fields?: Schema
  /**
   * A list of records with these fields (`rateLimits`): each item is read and presented by the
   * same rules, named by its index (`rateLimits[2].windowMs`). The list is set whole.
   */
  readonly items?: Schema
  /** Most items a list of records (`items`) may hold. */
  readonly maxItems?: number
}

/** A resource's fields by domain (camelCase) name. */
export type Schema = Readonly<Record<string, Field>>

/** What a call does with input: create a resource, or patch one (absent keeps). */
export type InputMode = 'create' | 'patch'

/** The names of `schema` that `mode` may set, in declaration order. */
export function writableNames(schema: Schema, mode: InputMode): string[] {
  return Object.keys(schema).filter((name) => schema[name]![mode] === true)
}

/** `a.b` for a nested path, `b` at the top. */
export function joinPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}.${name}`
}

/** `rateLimits[2]`: the item at `index` of a list. */
export function itemPath(list: string, index: number): string {
  return `${list}[${index}]`
}

/**
 * A domain path (`config.publishSourceFiles`, `permissions[3]`, `rateLimits[2].windowMs`) in
 * wire spelling (`config.publish_source_files`, `permissions[3]`, `rate_limits[2].window_ms`).
 * Names the schema does not know are kept.
 */
export function wirePath(schema: Schema, path: string): string {
  const match = /^([^.[]+)(\[\d+\])?(?:\.(.*))?$/.exec(path)
  if (match === null) return path
  const [, head = '', index = '', rest] = match
  const field = schema[head]
  if (field === undefined) return path
  const inner = field.fields ?? field.items
  const tail = rest === undefined ? '' : `.${inner ? wirePath(inner, rest) : rest}`
  return `${field.wire}${index}${tail}`
}

/** The names of a schema declared with `as const` that `mode` may set (type level). */
export type WritableName<S extends Schema, M extends InputMode> = {
  [K in keyof S]: S[K] extends { readonly [P in M]: true } ? K : never
}[keyof S]
