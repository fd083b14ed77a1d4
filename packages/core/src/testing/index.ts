// @nursery/core/testing: helpers for testing code built on nurseries.
export { VirtualClock } from "./virtual-clock.js";
export { expectSequence } from "./expect-sequence.js";
export { spawnFixture, type Fixture, type FixtureExit } from "./fixture.js";
export {
  INVALID_ARGUMENT_MESSAGE,
  expectInvalidArgument,
  HOUSE_TYPE_ERROR,
  expectHouseTypeError,
  NOT_DURATIONS,
  thrown,
  settledWithin,
  settledBy,
  eventLoopTurns,
  abortedSignal,
  type Settled,
} from "./hostile.js";
