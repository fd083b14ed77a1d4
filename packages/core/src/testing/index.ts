// @nursery/core/testing: helpers for testing code built on nurseries.
export { VirtualClock } from "./virtual-clock.js";
export { expectSequence } from "./expect-sequence.js";
export { spawnFixture, type Fixture, type FixtureExit } from "./fixture.js";
export {
  HOUSE_TYPE_ERROR,
  NOT_DURATIONS,
  thrown,
  expectHouseTypeError,
  settledWithin,
  settledBy,
  eventLoopTurns,
  abortedSignal,
  type Settled,
} from "./hostile.js";
