// @nursery/timers: time primitives bound to task signals. A virtual clock for tests lives in
// @nursery/core/testing (`VirtualClock`); pass it as the `clock` option or through a nursery.
export { sleep, type SleepOptions } from "./sleep.js";
export { interval, type Tick, type IntervalIterator } from "./interval.js";
export { timeout, deadline, type TimeoutOptions, type MoveOnOptions, type ParentTimeoutOptions } from "./timeout.js";
