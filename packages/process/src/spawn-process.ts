// spawnProcess(): a long-running child process owned by a task, with its output as async iterables.
import type { Writable } from "node:stream";
import { OutputIterator, type OutputPipe } from "./internal/output-pipe.js";
import { OwnedChild } from "./internal/owned-child.js";
import {
  checkCommand,
  checkOptions,
  checkOwner,
  checkSignalName,
  checkStdin,
  isObject,
} from "./internal/options.js";
import type { ExitStatus, ProcessOptions, ProcessOwner, StdioMode } from "./options.js";
import { checkNumber, checkOptionalSignal, invalidArgument as invalid } from "@nursery/core/adapter";

/** Options of {@link spawnProcess}. */
export interface SpawnProcessOptions extends ProcessOptions {
  /** Where the child's stdin comes from. Default `"pipe"`: write to `Subprocess.stdin`. */
  stdin?: StdioMode;
  /**
   * Bytes of output per stream held for a reader before the pipe is paused (the child then blocks
   * writing, as with any pipe). Default 1 MiB. Read what you pipe, or pass `stdout: "ignore"`.
   */
  bufferLimit?: number;
}

/** Options of one iteration over a {@link SubprocessOutput}. */
export interface OutputReadOptions {
  /** Stops this iteration only (it rejects with `signal.reason`); the process keeps running. */
  signal?: AbortSignal;
}

/**
 * The stdout or stderr of a {@link Subprocess}. `for await` over it yields lines; `lines()` and
 * `chunks()` say which explicitly and take a `signal` for the iteration alone.
 *
 * One iteration at a time. Breaking out of a loop loses nothing: the next iteration continues where
 * it stopped. Once the owning task is cancelled every iteration rejects with its `signal.reason`.
 */
export interface SubprocessOutput extends AsyncIterable<string> {
  /** The output as lines, without `\n` or `\r\n`, decoded as UTF-8; a last unterminated line is included. */
  lines(options?: OutputReadOptions): AsyncIterableIterator<string>;
  /** The output as raw chunks, as they arrive. */
  chunks(options?: OutputReadOptions): AsyncIterableIterator<Buffer>;
}

/** A running child process started by {@link spawnProcess}. */
export interface Subprocess {
  /** The process id; `undefined` when it was not started (cancelled before, or spawn failed). */
  readonly pid: number | undefined;
  /** The child's stdin when `stdin: "pipe"` (default), else `null`. Call `end()` to close it. */
  readonly stdin: Writable | null;
  /** The child's stdout as lines or chunks. */
  readonly stdout: SubprocessOutput;
  /** The child's stderr as lines or chunks. */
  readonly stderr: SubprocessOutput;
  /**
   * Settles when the process and its group are gone: resolves with the exit status on exit code 0
   * (or any status with `allowNonZero`), rejects with `ProcessError` on failure, and with the task's
   * `signal.reason` when the task was cancelled. Never an unhandled rejection if left unawaited.
   */
  readonly exited: Promise<ExitStatus>;
  /** The exit code once the process exited, else `null`. */
  readonly exitCode: number | null;
  /** The signal that ended the process, else `null`. */
  readonly signalCode: NodeJS.Signals | null;
  /**
   * Sends a signal (default: the `killSignal` option) to the process and, on POSIX, its group. Not
   * cancellation: the outcome is the exit status (a `ProcessError` for a signal unless
   * `allowNonZero`). Returns false when there was nothing left to signal.
   */
  kill(signal?: NodeJS.Signals): boolean;
}

const DEFAULT_BUFFER_LIMIT = 1024 * 1024;

/**
 * Starts `command` with `args` as a child process owned by `task`: cancelling the task stops the
 * process. Use it for processes you talk to or watch (servers, watchers, REPLs); use
 * {@link exec} to run a command to completion and collect its output.
 *
 * - Success: `exited` resolves with `{ exitCode: 0, signal: null }`.
 * - Error: `exited` rejects with `ProcessError` (non-zero exit, killed by a signal, not found).
 * - Cancellation: when `task.signal` aborts, the process group gets `killSignal` (SIGTERM), then
 *   SIGKILL after `grace` ms (5000); `exited` and every output iteration reject with
 *   `task.signal.reason`. An already-aborted signal spawns nothing.
 *
 * A task's process also joins the task's nursery, so the nursery never finishes before the process
 * exits, even if nobody awaits `exited`, and a cancelled nursery stops it newest-first like a task.
 * Bad arguments throw `TypeError`.
 *
 * @example
 * ```ts
 * await nursery(async (n) => {
 *   const server = spawnProcess(n, "node", ["server.js"]);
 *   for await (const line of server.stdout) if (line.includes("listening")) break;
 *   await runTests(n.signal);
 *   n.cancel(); // SIGTERM to the server, SIGKILL 5 s later if it is still there
 * });
 * ```
 */
export function spawnProcess(
  task: ProcessOwner,
  command: string,
  args?: readonly string[],
  options?: SpawnProcessOptions,
): Subprocess {
  const owner = checkOwner(task);
  const cmd = checkCommand(command, args);
  const common = checkOptions(owner, options);
  const { raw, ...rest } = common;
  const limit = raw["bufferLimit"];
  const owned = new OwnedChild(owner, {
    ...cmd,
    ...rest,
    stdin: checkStdin(raw["stdin"], "pipe"),
    bufferLimit: limit === undefined ? DEFAULT_BUFFER_LIMIT : checkBufferLimit(limit),
  });
  return new SubprocessImpl(owned);
}

function checkBufferLimit(value: unknown): number {
  return checkNumber("bufferLimit", value, { min: 0, above: true, infinity: true });
}

class SubprocessImpl implements Subprocess {
  readonly #owned: OwnedChild;
  readonly stdout: SubprocessOutput;
  readonly stderr: SubprocessOutput;

  constructor(owned: OwnedChild) {
    this.#owned = owned;
    this.stdout = new OutputView(owned.stdout, owned.owner);
    this.stderr = new OutputView(owned.stderr, owned.owner);
  }

  get pid(): number | undefined {
    return this.#owned.child?.pid;
  }

  get stdin(): Writable | null {
    return this.#owned.child?.stdin ?? null;
  }

  get exited(): Promise<ExitStatus> {
    return this.#owned.done;
  }

  get exitCode(): number | null {
    return this.#owned.exit?.exitCode ?? null;
  }

  get signalCode(): NodeJS.Signals | null {
    return this.#owned.exit?.signal ?? null;
  }

  kill(signal?: NodeJS.Signals): boolean {
    const sig = signal === undefined ? this.#owned.spec.killSignal : checkSignalName("signal", signal);
    return this.#owned.kill(sig);
  }

  get [Symbol.toStringTag](): string {
    return "Subprocess";
  }
}

class OutputView implements SubprocessOutput {
  readonly #pipe: OutputPipe;
  readonly #owner: AbortSignal;

  constructor(pipe: OutputPipe, owner: AbortSignal) {
    this.#pipe = pipe;
    this.#owner = owner;
  }

  lines(options?: OutputReadOptions): AsyncIterableIterator<string> {
    return new OutputIterator<string>(this.#pipe, "lines", this.#owner, readSignal(options));
  }

  chunks(options?: OutputReadOptions): AsyncIterableIterator<Buffer> {
    return new OutputIterator<Buffer>(this.#pipe, "chunks", this.#owner, readSignal(options));
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this.lines();
  }
}

function readSignal(options: OutputReadOptions | undefined): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (!isObject(options)) throw invalid("options", "an options object", options);
  return checkOptionalSignal("signal", options.signal);
}
