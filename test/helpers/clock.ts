// The one manual clock and its instants live with the conformance fixtures.
export { DAY, HOUR, type ManualClock, manualClock, T0 } from '../../src/conformance/fixtures'
