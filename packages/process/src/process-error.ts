// The error a child process fails with. Recognised across two installed copies of this package by
// its code, branded under a registry symbol by core's `defineErrorClass`, so `instanceof` holds for
// either copy.
import { defineErrorClass } from "@nursery/core/adapter";

/** How many bytes of the end of stderr a {@link ProcessError} keeps. */
export const STDERR_EXCERPT_BYTES = 4096;
const MESSAGE_EXCERPT_CHARS = 1000;

/** The stable codes of {@link ProcessError}. */
export type ProcessErrorCode = "ERR_PROCESS_EXIT" | "ERR_PROCESS_SPAWN";

/**
 * A child process failed: it exited with a non-zero code or was killed by a signal it was not sent
 * by its task (`code: "ERR_PROCESS_EXIT"`), or it could not be started at all, e.g. the command was
 * not found (`code: "ERR_PROCESS_SPAWN"`, the system error in `cause`).
 *
 * Thrown (as a rejection) by `exec()` and by the `exited` promise of a `Subprocess`. Never thrown for a process stopped
 * because its task was cancelled: that rejects with the task's `signal.reason`. Pass
 * `allowNonZero: true` to get exit codes as values instead. The message ends with the last lines of
 * stderr; `stderr` holds its last 4 KiB.
 *
 * @example
 * ```ts
 * try {
 *   await exec(task, "git", ["pull"]);
 * } catch (err) {
 *   if (err instanceof ProcessError && err.exitCode === 1) console.error(err.stderr);
 *   else throw err;
 * }
 * ```
 */
export class ProcessError extends Error {
  /** `"ERR_PROCESS_EXIT"` (ran and failed) or `"ERR_PROCESS_SPAWN"` (could not start). */
  readonly code: ProcessErrorCode;
  /** The command as given (the program, not the arguments). */
  readonly command: string;
  /** The arguments as given. */
  readonly args: readonly string[];
  /** The exit code, or `null` when the process was killed by a signal or never started. */
  readonly exitCode: number | null;
  /** The signal that killed the process, or `null`. */
  readonly signal: NodeJS.Signals | null;
  /** The last {@link STDERR_EXCERPT_BYTES} bytes of stderr (empty when stderr was not piped). */
  readonly stderr: string;
  /** The process id, when it started. */
  readonly pid: number | undefined;

  constructor(details: {
    code: ProcessErrorCode;
    command: string;
    args: readonly string[];
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
    pid: number | undefined;
    cause?: unknown;
  }) {
    super(message(details), details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.command = details.command;
    this.args = details.args;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stderr = details.stderr;
    this.pid = details.pid;
  }
}
defineErrorClass(ProcessError, {
  scope: "@nursery/process",
  name: "ProcessError",
  code: ["ERR_PROCESS_EXIT", "ERR_PROCESS_SPAWN"],
});

function message(d: ConstructorParameters<typeof ProcessError>[0]): string {
  const shown = `\`${displayCommand(d.command, d.args)}\``;
  let head: string;
  if (d.code === "ERR_PROCESS_SPAWN") {
    const why = d.cause instanceof Error ? d.cause.message : String(d.cause);
    head = `${shown} could not be started: ${why}`;
  } else if (d.signal !== null) {
    head = `${shown} was killed by ${d.signal}`;
  } else {
    head = `${shown} exited with code ${String(d.exitCode)}`;
  }
  let excerpt = d.stderr.trimEnd();
  if (excerpt.length > MESSAGE_EXCERPT_CHARS) excerpt = `...${excerpt.slice(-MESSAGE_EXCERPT_CHARS)}`;
  return excerpt === "" ? head : `${head}\n${excerpt}`;
}

/** `cmd arg 'two words'`: the command line as a POSIX shell would read it, for messages and task names. */
export function displayCommand(command: string, args: readonly string[]): string {
  return [command, ...args].map(quote).join(" ");
}

function quote(word: string): string {
  if (word !== "" && /^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
