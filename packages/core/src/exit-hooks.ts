// Last-moment actions before the process exits: how an adapter makes sure what it started outside
// the process (a child process group, a lock file) does not outlive the program.
//
// Goal. When a program ends without its tasks' cleanup having run (a forced second Ctrl+C, the
// shutdown timeout, a failure's exit, a plain `process.exit()`), whatever an adapter keeps alive
// outside the process is still released. Cleanup in a task is the normal path; a hook is the net
// under it, for the exits that skip cleanup.
//
// Invariants.
// - A hook is called at most once: runExitHooks() takes every registered hook out before calling
//   them, so run()'s explicit call and the process 'exit' event never call one twice.
// - Hooks run newest first (the library's order everywhere), each in its own try: one that throws
//   does not stop the others, and its error is returned (or rethrown by the 'exit' listener).
// - At most one process 'exit' listener, present exactly while a hook is registered: listener counts
//   return to baseline when the last hook is removed, and importing core installs nothing.
//
// Without run(). The hooks still run on any exit that emits 'exit' (process.exit(), an uncaught
// exception, the loop draining); run() calls them itself right before it calls process.exit, so it
// can report a hook's error on stderr. A process killed by a signal's default disposition, or by
// SIGKILL, runs no JavaScript at all: no hook can run then (see run/run.ts, "Known limits").
//
// Platform-neutral on purpose: no `node:` import. Where the runtime has no `process.on` (a browser),
// hooks are kept and only an explicit runExitHooks() calls them.

import { invalidArgument } from "./invalid-argument.js";

/** A synchronous action to run right before the process exits. */
export type ExitHook = () => void;

const hooks = new Set<ExitHook>();

interface ProcessLike {
  on(event: "exit", listener: () => void): unknown;
  removeListener(event: "exit", listener: () => void): unknown;
}

function hostProcess(): ProcessLike | undefined {
  const p = (globalThis as { process?: Partial<ProcessLike> }).process;
  return typeof p?.on === "function" && typeof p.removeListener === "function" ? (p as ProcessLike) : undefined;
}

function onExitEvent(): void {
  const errors = runExitHooks();
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} exit hooks failed`);
}

/**
 * Registers `hook` to be called synchronously right before the process exits, and returns a
 * function that unregisters it. For adapters that own something outside the process: register when
 * it starts, call the remover when it is released the normal way.
 *
 * The hook runs on every exit that runs JavaScript: `run()`'s forced exits (second signal, shutdown
 * timeout, failure), `process.exit()`, an uncaught exception, the event loop draining. It runs at
 * most once, must be synchronous (nothing asynchronous completes after it), and should be quick.
 * Hooks run newest first; one that throws does not stop the others, and its error is reported
 * (`run()` prints it; otherwise it is rethrown from the process's `exit` event).
 *
 * @example
 * ```ts
 * const child = spawn("sleep", ["60"], { detached: true });
 * const unregister = onProcessExit(() => process.kill(-child.pid!, "SIGKILL"));
 * child.on("exit", unregister);
 * ```
 */
export function onProcessExit(hook: ExitHook): () => void {
  if (typeof hook !== "function") throw invalidArgument("hook", "a function", hook);
  // A fresh wrapper per registration: the same function registered twice is two hooks, each
  // removed by its own remover.
  const entry: ExitHook = () => hook();
  if (hooks.size === 0) {
    // The one process listener outside run/ (through hostProcess(), not `process.on`, so the lint
    // rule does not see it): the net for programs that exit without run(). See
    // docs/design/decisions/core-exit-hooks.md.
    hostProcess()?.on("exit", onExitEvent);
  }
  hooks.add(entry);
  return () => {
    if (!hooks.delete(entry)) return;
    if (hooks.size === 0) hostProcess()?.removeListener("exit", onExitEvent);
  };
}

/**
 * Calls every registered hook once, newest first, and unregisters them; returns the errors they
 * threw. For run(), right before it exits the process.
 */
export function runExitHooks(): unknown[] {
  const due = [...hooks].reverse();
  hooks.clear();
  hostProcess()?.removeListener("exit", onExitEvent);
  const errors: unknown[] = [];
  for (const hook of due) {
    try {
      hook();
    } catch (err) {
      errors.push(err);
    }
  }
  return errors;
}
