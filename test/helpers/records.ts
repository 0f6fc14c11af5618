// The one set of record builders lives with the conformance fixtures.
export { fakeDigest, keyRecord, randomBytes } from '../../src/conformance/fixtures'
