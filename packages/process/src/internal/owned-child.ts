// A child process owned by a task: the lifecycle behind exec() and spawnProcess().
//
// Goal. A process started by a task never outlives it: when the owner's signal aborts, the process
// (and, on POSIX, its whole process group) gets `killSignal`, then SIGKILL after `grace` ms, and the
// operation settles only once they are gone. Whether or not anyone awaits the result.
//
// Invariants.
// - One abort listener on the owner's signal per process, added at spawn, removed in #finish().
// - The operation settles once (#finish), after the child's 'close' (exit + stdio closed) and, when
//   cancelled, after its group is empty or was SIGKILLed. A cancelled operation rejects with the
//   reason it was cancelled with (identity), whatever the exit status; a process that failed to
//   start rejects with ERR_PROCESS_SPAWN even if cancelled before the system reported it.
// - Cancellation is delivered once (#cancel set once), from the owner's signal or from the keeper.
// - Signals are only sent while the group can still exist: never after #finish, never after the
//   group was seen empty (its id may be reused).
//
// The keeper. When the owner is a task (or a nursery), a small task named after the command joins
// the owner's nursery and lives exactly as long as the process. So the nursery does not finish while
// the process runs, even if the task that started it returned without awaiting it, and a nursery
// being cancelled stops the process at the keeper's turn, newest-first like any task. The keeper
// aborts with the nursery's own CancelledError, which the owner then rejects with: the nursery
// recognises it by identity as its cancellation, not as an error. Owners that are a bare
// `{ signal }` get no keeper: the process then lives until the signal aborts or it exits.
//
// The program's exit. A process group of our own does not get the terminal's Ctrl+C, so a program
// that exits without its tasks' cleanup (a forced second signal, run()'s shutdown timeout, a
// failure's exit, process.exit()) would leave it running. While the operation is unsettled an exit
// hook (core's onProcessExit) is registered that SIGKILLs the group: there is no time left for
// `killSignal` and `grace` once the process is exiting. Only a parent killed without running
// JavaScript (SIGKILL, a signal's default disposition from a blocked loop) escapes it.
//
// Designs that do not work. Reacting to 'close' only: a grandchild holding the pipes (or one that
// escaped with setsid) keeps 'close' away forever, so after cancellation our ends are destroyed once
// the group is done. Settling at the leader's exit: grandchildren still running their SIGTERM
// cleanup would be left behind, so the group is polled (it has no exit event) until empty.
import { spawn, type ChildProcess } from "node:child_process";
import type { Nursery, TaskContext, TimerHandle } from "@nursery/core";
import { onCancel, onProcessExit } from "@nursery/core/adapter";
import type { ExitStatus, ProcessOwner } from "../options.js";
import type { ChildSpec } from "./options.js";
import { OutputPipe } from "./output-pipe.js";
import { groupAlive, sendSignal } from "./process-group.js";
import { ProcessError, STDERR_EXCERPT_BYTES, displayCommand } from "../process-error.js";

// How often the group is checked after its leader exited during cancellation (real time: it watches
// the operating system, not the program's clock).
const POLL_MS = 20;
const NAME_MAX = 60;
// A control character (line break, tab, ...) with the spaces and control characters around it.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_RUN = / *[\u0000-\u001f\u007f][\s\u0000-\u001f\u007f]*/g;

const noop = (): void => {};

export class OwnedChild {
  readonly spec: ChildSpec;
  readonly owner: AbortSignal;
  readonly child: ChildProcess | undefined;
  readonly stdout: OutputPipe;
  readonly stderr: OutputPipe;
  /** Settles once the process and its group are gone; never an unhandled rejection by itself. */
  readonly done: Promise<ExitStatus>;
  #resolve!: (status: ExitStatus) => void;
  #reject!: (err: unknown) => void;
  #settled = false;
  #removeListener: (() => void) | undefined = undefined;
  /** Removes the exit hook that SIGKILLs the group if the program exits first (see the header). */
  #removeExitHook: (() => void) | undefined = undefined;
  #cancel: { reason: unknown } | undefined = undefined;
  #groupDone = false;
  #exit: ExitStatus | undefined = undefined;
  #closed = false;
  #spawnError: Error | undefined = undefined;
  #graceTimer: TimerHandle | undefined = undefined;
  #pollTimer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(owner: ProcessOwner, spec: ChildSpec) {
    this.spec = spec;
    this.owner = owner.signal;
    this.done = new Promise<ExitStatus>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.done.catch(noop);
    const limits = { limit: spec.bufferLimit, tail: 0 };

    if (owner.signal.aborted) {
      this.child = undefined;
      this.stdout = new OutputPipe("stdout", spec.stdout, null, limits);
      this.stderr = new OutputPipe("stderr", spec.stderr, null, limits);
      this.cancel(owner.signal.reason);
      this.#finish();
      return;
    }
    const nursery = keeperNursery(owner);
    if (nursery !== undefined) {
      try {
        nursery.spawn((keeper) => this.#keep(keeper), { name: keeperName(spec) });
      } catch (err) {
        this.child = undefined;
        this.stdout = new OutputPipe("stdout", spec.stdout, null, limits);
        this.stderr = new OutputPipe("stderr", spec.stderr, null, limits);
        this.#settled = true;
        this.#reject(err);
        return;
      }
    }
    if (this.#cancel !== undefined) {
      // The keeper started already cancelled: its nursery is shutting down. Spawn nothing.
      this.child = undefined;
      this.stdout = new OutputPipe("stdout", spec.stdout, null, limits);
      this.stderr = new OutputPipe("stderr", spec.stderr, null, limits);
      this.stdout.abort(this.#cancel.reason);
      this.stderr.abort(this.#cancel.reason);
      this.#finish();
      return;
    }

    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        stdio: [spec.stdin, spec.stdout, spec.stderr],
        detached: spec.group,
        windowsHide: true,
        ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
        ...(spec.env === undefined ? {} : { env: spec.env }),
      });
    } catch (err) {
      if (!isSpawnFailure(err)) {
        // Node's own argument checks (e.g. a NUL byte in an argument): release the keeper, then throw.
        this.#settled = true;
        this.#reject(err);
        throw err;
      }
      // The system refused to start it, and Node threw instead of emitting 'error' (it does so for
      // E2BIG, ENOTDIR cwd, ...; ENOENT and EACCES come as 'error'): the same ERR_PROCESS_SPAWN.
      this.child = undefined;
      this.stdout = new OutputPipe("stdout", spec.stdout, null, limits);
      this.stderr = new OutputPipe("stderr", spec.stderr, null, limits);
      this.#spawnError = err as Error;
      this.#finish();
      return;
    }
    this.child = child;
    this.stdout = new OutputPipe("stdout", spec.stdout, child.stdout, limits);
    this.stderr = new OutputPipe("stderr", spec.stderr, child.stderr, { ...limits, tail: STDERR_EXCERPT_BYTES });
    // Writing to a child that exited fails with EPIPE; the write callback and the exit status say so.
    child.stdin?.on("error", noop);
    child.on("error", (err) => {
      // Also emitted when a kill fails (the child is already gone): nothing to do then.
      if (child.pid === undefined) this.#spawnError = err;
    });
    child.on("exit", (code, sig) => this.#onExit(code, sig));
    child.on("close", (code, sig) => {
      this.#exit ??= { exitCode: code, signal: sig };
      this.#closed = true;
      this.#maybeFinish();
    });
    this.#removeListener = onCancel(owner.signal, () => this.cancel(owner.signal.reason));
    if (child.pid !== undefined) this.#removeExitHook = onProcessExit(() => void this.kill("SIGKILL"));
  }

  /** Whether the operation settled. */
  get settled(): boolean {
    return this.#settled;
  }

  /** How the process ended, once it did. */
  get exit(): ExitStatus | undefined {
    return this.#exit;
  }

  /** Sends `sig` to the process (its group on POSIX) while it may still be running. */
  kill(sig: NodeJS.Signals): boolean {
    const child = this.child;
    if (child === undefined || this.#settled || this.#groupDone) return false;
    if (this.#exit !== undefined && !(this.spec.group && child.pid !== undefined && groupAlive(child.pid))) return false;
    return sendSignal(child, sig, this.spec.group);
  }

  /** Stops the process: `killSignal` now, SIGKILL after `grace`; the operation rejects with `reason`. */
  cancel(reason: unknown): void {
    if (this.#settled || this.#cancel !== undefined) return;
    this.#cancel = { reason };
    this.stdout?.abort(reason);
    this.stderr?.abort(reason);
    const child = this.child;
    if (child === undefined || child.pid === undefined) return;
    this.kill(this.spec.killSignal);
    if (this.spec.grace !== Infinity) {
      try {
        this.#graceTimer = this.spec.clock.setTimer(this.spec.grace, () => {
          this.#graceTimer = undefined;
          this.#escalate();
        });
      } catch (err) {
        // No grace timer can be had: stop the process now rather than risk never stopping it, and
        // report the broken clock where it cannot be lost (we run inside an abort listener).
        this.#escalate();
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    if (this.#exit !== undefined) this.#afterLeaderExit();
  }

  #keep(keeper: TaskContext): Promise<void> {
    const signal = keeper.signal;
    if (signal.aborted) {
      this.cancel(signal.reason);
      return Promise.resolve();
    }
    const remove = onCancel(signal, () => this.cancel(signal.reason));
    return this.done.then(remove, remove);
  }

  #onExit(code: number | null, sig: NodeJS.Signals | null): void {
    this.#exit = { exitCode: code, signal: sig };
    this.stdout.release();
    this.stderr.release();
    if (this.#cancel !== undefined) this.#afterLeaderExit();
  }

  #escalate(): void {
    this.#clearPoll();
    this.kill("SIGKILL");
    this.#groupDone = true;
    if (this.#exit !== undefined) this.#closePipes();
    this.#maybeFinish();
  }

  #afterLeaderExit(): void {
    this.#clearPoll();
    if (!this.#groupDone) {
      const pid = this.child?.pid;
      if (this.spec.group && pid !== undefined && groupAlive(pid)) {
        this.#pollTimer = setTimeout(() => {
          this.#pollTimer = undefined;
          this.#afterLeaderExit();
        }, POLL_MS);
        return;
      }
      this.#groupDone = true;
      this.#clearGrace();
    }
    this.#closePipes();
    this.#maybeFinish();
  }

  #closePipes(): void {
    this.stdout.destroy();
    this.stderr.destroy();
    this.child?.stdin?.destroy();
  }

  #maybeFinish(): void {
    if (this.#settled || !this.#closed) return;
    if (this.#cancel !== undefined && !this.#groupDone && this.#spawnError === undefined) return;
    this.#finish();
  }

  #finish(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#removeListener?.();
    this.#removeListener = undefined;
    this.#removeExitHook?.();
    this.#removeExitHook = undefined;
    this.#clearGrace();
    this.#clearPoll();
    const spec = this.spec;
    const pid = this.child?.pid;
    // A process that never started failed for its own reason (ENOENT, EACCES), which a
    // cancellation arriving before the system said so must not hide: errors are never swallowed.
    if (this.#cancel !== undefined && this.#spawnError === undefined) {
      this.#reject(this.#cancel.reason);
      return;
    }
    if (this.#spawnError !== undefined) {
      this.#reject(
        new ProcessError({
          code: "ERR_PROCESS_SPAWN",
          command: spec.command,
          args: spec.args,
          exitCode: null,
          signal: null,
          stderr: "",
          pid,
          cause: this.#spawnError,
        }),
      );
      return;
    }
    const status = this.#exit ?? { exitCode: null, signal: null };
    if ((status.exitCode === 0 && status.signal === null) || spec.allowNonZero) {
      this.#resolve(status);
      return;
    }
    this.#reject(
      new ProcessError({
        code: "ERR_PROCESS_EXIT",
        command: spec.command,
        args: spec.args,
        exitCode: status.exitCode,
        signal: status.signal,
        stderr: this.stderr.tail(),
        pid,
      }),
    );
  }

  #clearGrace(): void {
    if (this.#graceTimer !== undefined) {
      this.spec.clock.clearTimer(this.#graceTimer);
      this.#graceTimer = undefined;
    }
  }

  #clearPoll(): void {
    if (this.#pollTimer !== undefined) {
      clearTimeout(this.#pollTimer);
      this.#pollTimer = undefined;
    }
  }
}

/** A system error from starting the process (`syscall` "spawn"), as opposed to a bad argument. */
function isSpawnFailure(err: unknown): boolean {
  const syscall = (err as NodeJS.ErrnoException | null)?.syscall;
  return typeof syscall === "string" && syscall.startsWith("spawn");
}

/** The nursery the keeper joins: the owner's own nursery, or the owner itself when it is one. */
function keeperNursery(owner: ProcessOwner): Pick<Nursery, "spawn"> | undefined {
  const self = owner as { spawn?: unknown };
  if (typeof self.spawn === "function") return owner as unknown as Nursery;
  const nursery = owner.nursery as { spawn?: unknown } | undefined;
  return typeof nursery?.spawn === "function" ? (nursery as Nursery) : undefined;
}

/** `process <command line>` on one line: a task name is printed in trees, one line per task. */
function keeperName(spec: ChildSpec): string {
  // A script argument (`node -e`, `sh -c`) often holds line breaks and tabs: each run of them, with
  // the spaces around it, becomes one space.
  const shown = displayCommand(spec.command, spec.args).replace(CONTROL_RUN, " ");
  return `process ${shown.length > NAME_MAX ? `${shown.slice(0, NAME_MAX - 3)}...` : shown}`;
}
