// exec(): run a command to completion inside a task and collect its output.
import { OwnedChild } from "./internal/owned-child.js";
import {
  checkCommand,
  checkOptions,
  checkOwner,
  checkStdin,
} from "./internal/options.js";
import type { ProcessOptions, ProcessOwner } from "./options.js";
import { invalidArgument as invalid } from "@nursery/core/adapter";

/** Options of {@link exec}. */
export interface ExecOptions extends ProcessOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string | Uint8Array;
  /** Where stdin comes from when there is no `input`. Default `"ignore"` (the child reads end-of-file). */
  stdin?: "ignore" | "inherit";
}

/** What {@link exec} resolves with. */
export interface ExecResult {
  /** Everything the child wrote to stdout, decoded as UTF-8 (`""` when not piped). */
  readonly stdout: string;
  /** Everything the child wrote to stderr, decoded as UTF-8 (`""` when not piped). */
  readonly stderr: string;
  /** The exit code: 0 unless `allowNonZero`; `null` when a signal ended the process. */
  readonly exitCode: number | null;
  /** The signal that ended the process (only with `allowNonZero`), else `null`. */
  readonly signal: NodeJS.Signals | null;
}

/**
 * Runs `command` with `args` (no shell) as a child process owned by `task` and resolves with its
 * output once it exited. Use it for commands that finish (`git`, compilers, scripts); use
 * {@link spawnProcess} to stream output or talk to a long-running process. Output is held in memory.
 *
 * - Success: resolves with `{ stdout, stderr, exitCode: 0, signal: null }`.
 * - Error: rejects with `ProcessError` (code `ERR_PROCESS_EXIT` with `exitCode`, `signal`, and the
 *   end of stderr; `ERR_PROCESS_SPAWN` when it could not start). `allowNonZero: true` resolves instead.
 * - Cancellation: when `task.signal` aborts, the process group gets `killSignal` (SIGTERM), then
 *   SIGKILL after `grace` ms (5000); rejects with `task.signal.reason` once they are gone. An
 *   already-aborted signal rejects at once and spawns nothing.
 *
 * Bad arguments throw `TypeError` synchronously.
 *
 * @example
 * ```ts
 * await nursery(async (n) => {
 *   const { stdout } = await exec(n, "git", ["rev-parse", "HEAD"], { cwd: repo });
 *   console.log(stdout.trim());
 * });
 * ```
 */
export function exec(
  task: ProcessOwner,
  command: string,
  args?: readonly string[],
  options?: ExecOptions,
): Promise<ExecResult> {
  const owner = checkOwner(task);
  const cmd = checkCommand(command, args);
  const { raw, ...rest } = checkOptions(owner, options);
  const input = raw["input"];
  if (input !== undefined && typeof input !== "string" && !(input instanceof Uint8Array)) {
    throw invalid("input", "a string or a Uint8Array", input);
  }
  if (input !== undefined && raw["stdin"] !== undefined) {
    throw invalid("stdin", "undefined when `input` is given", raw["stdin"]);
  }
  const stdin = input === undefined ? checkStdin(raw["stdin"], "ignore") : "pipe";
  if (stdin === "pipe" && input === undefined) throw invalid("stdin", '"ignore" or "inherit"', raw["stdin"]);
  const owned = new OwnedChild(owner, { ...cmd, ...rest, stdin, bufferLimit: Infinity });
  if (input !== undefined) owned.child?.stdin?.end(input);
  return owned.done.then((status) => ({
    stdout: owned.stdout.takeAll().toString("utf8"),
    stderr: owned.stderr.takeAll().toString("utf8"),
    exitCode: status.exitCode,
    signal: status.signal,
  }));
}
