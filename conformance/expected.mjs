// What differs by runtime, by design or because the runtime forces it. docs/guide/runtimes.md has
// the same facts as a table; the tests assert these, so a runtime that changes shows up as a failure.
import { runtime } from "./runtime.mjs";

/**
 * How run() forces the exit on a second signal.
 * - "report-at-second": the listeners stay after the first signal; a second one while the loop
 *   runs prints "received SIG again, exiting now" and the tree, then exits 128+signo; a blocked loop
 *   is found by the watchdog Worker, which prints the tree through the inspector and restores the
 *   default disposition ("the next signal exits at once").
 * - "report-at-first": no inspector can interrupt the main thread (Bun, Deno), so run() prints the
 *   tree and restores the default disposition at the first signal; the second signal then kills the
 *   process with that signal (a shell reads 128+signo), blocked loop or not.
 */
export const secondSignal = runtime.name === "node" ? "report-at-second" : "report-at-first";

/** Native `using` / `await using` syntax and SuppressedError: Node 24+, Bun, Deno. */
export const nativeUsing = runtime.name !== "node" || runtime.major >= 24;

/**
 * Whether run()'s task tree (second signal, shutdown timeout) gives each task's definition site
 * (`at file:...:line:col`). It comes from an in-process inspector session: Node only; Bun and Deno
 * print names, states and ages.
 */
export const spawnSites = runtime.name === "node";
