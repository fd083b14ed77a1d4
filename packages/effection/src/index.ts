// @nursery/effection: effection v4 operations and nursery tasks in one tree, with cancellation
// crossing the boundary both ways. See README.md for the concept mapping table.
export { spawnOperation, type SpawnOperationOptions } from "./spawn-operation.js";
export { runOperation, type RunOperationOptions } from "./run-operation.js";
export { useNursery } from "./use-nursery.js";
export { callWithSignal } from "./call-with-signal.js";
