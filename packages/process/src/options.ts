// The public option and result types shared by exec() and spawnProcess().
import type { Clock, Nursery } from "@nursery/core";

/** What owns a child process: a task (`TaskContext`), a nursery, or anything with an `AbortSignal`. */
export interface ProcessOwner {
  /** Cancellation: when it aborts, the process is stopped (SIGTERM, grace, SIGKILL). */
  readonly signal: AbortSignal;
  /** The owner's clock (tasks and nurseries have one); the grace period is measured on it. */
  readonly clock?: Clock;
  /** A task's nursery: the process also joins it, so the nursery never finishes before it. */
  readonly nursery?: Nursery;
}

/** Where a child's stdin, stdout or stderr goes: a pipe to this process, nowhere, or this process's own. */
export type StdioMode = "pipe" | "ignore" | "inherit";

/** Options shared by `exec()` and `spawnProcess()`. */
export interface ProcessOptions {
  /** Working directory of the child. Default: the parent's. */
  cwd?: string;
  /** Environment of the child, replacing the parent's (spread `process.env` to extend it). */
  env?: NodeJS.ProcessEnv;
  /** Signal sent first when the owner is cancelled. Default `"SIGTERM"`. */
  killSignal?: NodeJS.Signals;
  /** Ms between `killSignal` and SIGKILL. Default 5000; `Infinity` never escalates; 0 escalates at once. */
  grace?: number;
  /** Clock for the grace period. Default: the owner's `clock`, else `realClock`. */
  clock?: Clock;
  /** Resolve with the exit code (or signal) instead of rejecting with `ProcessError`. Default false. */
  allowNonZero?: boolean;
  /**
   * POSIX: run the child as the leader of its own process group and signal the whole group, so its
   * children die with it. Default true. Set false for programs that need the parent's terminal
   * (interactive prompts): they then get Ctrl+C from the terminal directly, and only the child itself
   * is signalled on cancellation. Ignored on Windows.
   */
  processGroup?: boolean;
  /** Where the child's stdout goes. Default `"pipe"` (read it from the result). */
  stdout?: StdioMode;
  /** Where the child's stderr goes. Default `"pipe"` (read it, and quoted in `ProcessError`). */
  stderr?: StdioMode;
}

/** How a process ended. */
export interface ExitStatus {
  /** The exit code, or `null` when a signal ended the process. */
  readonly exitCode: number | null;
  /** The signal that ended the process, or `null`. */
  readonly signal: NodeJS.Signals | null;
}
