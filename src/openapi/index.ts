export type { OpenApiDocument, RouteSummary } from './document'
export { OPENAPI_PATH, openApiDocument, pathTemplate, servedDocument } from './document'
export type { JsonSchema } from './json-schema'
