// What run() prints, and the rule that each error is printed exactly once.
//
// Best effort. run()'s lines go to stderr; when stderr is closed (`2>&1 | head -c1`) a write fails
// with EPIPE, asynchronously, as an 'error' event on the stream. Without a listener that event is an
// uncaught exception, which run() would print to the same closed stream: the loop that spun at
// 100 % CPU. So while run() is active it listens for errors on stderr and stdout itself:
// - stderr: marked broken and never written again; not a failure of the program (run()'s own
//   diagnostics are what failed, and there is nowhere left to say so).
// - stdout: the program's own output failed. Node's process.stdout is never destroyed, so every
//   later write fails again with a fresh EPIPE: the first error of each `code` is reported as a
//   failure (printed once, exit 1), the repeats are the same fault and are dropped. Left alone when
//   the program has its own 'error' listener on the stream: it handles it.
//
// Exactly once. Objects are recognised by identity (the same Error reaching run() as an unhandled
// rejection and again through main). Primitives cannot be: two `throw "timeout"` are two errors,
// both printed. A primitive printed as an unhandled rejection whose promise is handled later will
// arrive once more through the task that awaited it: that one arrival is expected and skipped; so
// do main's errors, printed when main rejects and seen again in the root's outcome.
import { inspect } from "node:util";
import { NurseryError } from "../errors.js";
import { listen, type Remove } from "./exit.js";

/** Leaves of a tree of NurseryErrors, in order; an object once, every primitive occurrence. */
export function leaves(err: unknown, out: unknown[] = []): unknown[] {
  if (err instanceof NurseryError) for (const e of err.errors) leaves(e, out);
  else if (!(isObject(err) && out.includes(err))) out.push(err);
  return out;
}

function isObject(value: unknown): value is object {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

export class Output {
  #stderrBroken = false;
  readonly #printed = new WeakSet<object>();
  /** Primitives already printed that will arrive once more (their rejection was handled late). */
  readonly #expected: unknown[] = [];
  /** Reasons of unhandled rejections printed, by promise: to recognise them when handled late. */
  readonly #rejections = new WeakMap<Promise<unknown>, unknown>();
  readonly #stdoutFaults = new Set<unknown>();

  /** Writes one line (a newline is added) to stderr, unless stderr is known to be broken. */
  line(text: string): void {
    const stream = process.stderr;
    if (this.#stderrBroken || stream.destroyed || stream.writableEnded) return;
    try {
      stream.write(text.endsWith("\n") ? text : `${text}\n`);
    } catch {
      // A synchronous failure (a file or TTY stderr): there is nowhere left to report it.
      this.#stderrBroken = true;
    }
  }

  /**
   * Prints each error not printed yet. `again`: these will arrive once more (main's errors, printed
   * when main rejects, come back in the root's outcome).
   */
  errors(errors: readonly unknown[], again = false): void {
    const fresh = errors.filter((e) => this.#claim(e));
    if (again) for (const e of errors) if (!isObject(e)) this.#expected.push(e);
    if (fresh.length > 1) this.line(`${fresh.length} errors:`);
    for (const e of fresh) this.line(inspect(e, { depth: 6 }));
  }

  /** Whether `err` (an object) was printed already. */
  printed(err: unknown): boolean {
    return isObject(err) && this.#printed.has(err);
  }

  /**
   * Listens for unhandled rejections, each passed to `onUnhandled` (which prints it), and for their
   * late handling: a primitive reason printed as unhandled whose promise gets a handler later will
   * arrive once more, through the task that awaited it. Returns the removers.
   */
  watchRejections(onUnhandled: (reason: unknown) => void): Remove[] {
    return [
      listen("unhandledRejection", (reason: unknown, promise: Promise<unknown>) => {
        this.#rejections.set(promise, reason);
        onUnhandled(reason);
      }),
      listen("rejectionHandled", (promise: Promise<unknown>) => {
        if (!this.#rejections.has(promise)) return;
        const reason = this.#rejections.get(promise);
        this.#rejections.delete(promise);
        if (!isObject(reason)) this.#expected.push(reason);
      }),
    ];
  }

  /**
   * Listens for write errors on stderr and stdout (see the header); `onFailure` gets the first
   * stdout error of each code. Returns the removers.
   */
  watchStreams(onFailure: (err: Error) => void): Remove[] {
    const stdout = process.stdout;
    return [
      listen(
        "error",
        () => {
          this.#stderrBroken = true;
        },
        process.stderr,
      ),
      listen(
        "error",
        (err: Error) => {
          if (stdout.listenerCount("error") > 1) return;
          const code = (err as NodeJS.ErrnoException).code ?? err;
          if (this.#stdoutFaults.has(code)) return;
          this.#stdoutFaults.add(code);
          onFailure(err);
        },
        stdout,
      ),
    ];
  }

  #claim(err: unknown): boolean {
    if (isObject(err)) {
      if (this.#printed.has(err)) return false;
      this.#printed.add(err);
      return true;
    }
    const i = this.#expected.findIndex((e) => Object.is(e, err));
    if (i === -1) return true;
    this.#expected.splice(i, 1);
    return false;
  }
}
