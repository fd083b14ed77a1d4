// The process side of run(): its listeners, its exit codes, the one-run-per-process rule, and the
// exit itself (exit hooks first, then process.exit).
import { constants } from "node:os";
import { runExitHooks } from "../exit-hooks.js";
import { closeLocator } from "../internal/locate.js";

export type Remove = () => void;

type Emitter = Pick<NodeJS.EventEmitter, "on" | "removeListener">;

/**
 * Adds a listener on `target` (default: the process); returns its remover (style: every listener
 * through one helper).
 */
export function listen(event: string, listener: (...args: never[]) => void, target: Emitter = process): Remove {
  target.on(event, listener as (...args: unknown[]) => void);
  return () => target.removeListener(event, listener as (...args: unknown[]) => void);
}

/** Whether `value` names a signal this platform knows, other than the `excluded` ones. */
export function isSignalOtherThan(value: unknown, excluded: readonly string[]): value is NodeJS.Signals {
  return typeof value === "string" && value in constants.signals && !excluded.includes(value);
}

/** 128 + the signal's number: the exit code a shell reports for a process killed by it. */
export function signalExitCode(sig: string): number {
  return 128 + ((constants.signals as Record<string, number | undefined>)[sig] ?? 2);
}

/** The first error's integer `exitCode` in 1..255, else 1. */
export function exitCodeOf(errors: readonly unknown[]): number {
  for (const e of errors) {
    const code = (e as { exitCode?: number } | null)?.exitCode as number;
    if (Number.isInteger(code) && code > 0 && code < 256) return code;
  }
  return 1;
}

/**
 * Ends the process now with `code`: every exit hook first (a child process group must not outlive
 * us), their errors to `report`, then process.exit. In a worker thread this ends the worker.
 */
export function exitNow(code: number, report: (errors: unknown[]) => void): never {
  const errors = runExitHooks();
  if (errors.length > 0) report(errors);
  closeLocator();
  process.exit(code);
}

// ===== One run() per process =====
// Kept on globalThis under a registered symbol, so two installed copies of core see each other.

const CLAIM = Symbol.for("@nursery/core.run.claim");

/** What a run() leaves on the process while it is active, or lingering after a successful exit. */
export interface Claim {
  /** True from run()'s set-up until it finished. */
  active: boolean;
  /** Removes what a finished run() left installed (its late-signal listeners). */
  release(): void;
}

type Slot = Record<symbol, Claim | undefined>;

/** Refuses a run() while another is active; releases a finished one's leftovers. */
export function claimProcess(claim: Claim): void {
  const slot = globalThis as unknown as Slot;
  const previous = slot[CLAIM];
  if (previous?.active === true) {
    throw new Error(
      "run() is already active in this process: call it once, at the top of the program, and open " +
        "nurseries inside its main (a second run() would exit the process before the first one's cleanup ran)",
    );
  }
  previous?.release();
  slot[CLAIM] = claim;
}

/** Gives the process back after a run() finished and removed everything it installed. */
export function unclaimProcess(claim: Claim): void {
  const slot = globalThis as unknown as Slot;
  if (slot[CLAIM] === claim) delete slot[CLAIM];
}
