// @nursery/process: child processes owned by a task.
export { exec, type ExecOptions, type ExecResult } from "./exec.js";
export {
  spawnProcess,
  type Subprocess,
  type SubprocessOutput,
  type SpawnProcessOptions,
  type OutputReadOptions,
} from "./spawn-process.js";
export { ProcessError, STDERR_EXCERPT_BYTES, type ProcessErrorCode } from "./process-error.js";
export type { ExitStatus, ProcessOptions, ProcessOwner, StdioMode } from "./options.js";
