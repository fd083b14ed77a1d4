// The live task tree, asked for from outside while the program keeps running.
//
// Goal. `kill -USR2 <pid>` (or `nursery-ps <pid>`) shows what a program under run() is doing right
// now: every nursery and task, its state, its age and where its function is defined. Asking must
// not stop the program, change what it does, or cost anything until asked.
//
// Design. An opt-in signal listener (run()'s `treeSignal` option; off by default) renders the tree
// with the same renderer as run()'s shutdown reports and writes it twice: to stderr, for a human
// at a terminal or in a log, and to `<tmpdir>/nursery-<pid>.tree` (mode 0600, written to a
// temporary name and renamed, so a reader never sees half a tree), for `nursery-ps`, which cannot
// read another process's stderr. The file exists from the moment the program answers, naming the
// signal, so that nursery-ps never sends a signal that would kill a program not listening for it.
// Definition sites come from the in-process inspector, connected
// only while rendering.
//
// Designs that do not work. SIGUSR1 is Node's own: it opens the inspector on a port. Asking over
// the inspector from outside (what Python 3.14's `asyncio ps` does with its debugger) would need
// the program started with `--inspect` or a port opened by SIGUSR1 for anyone on the host. A
// socket served by the program itself is a server the user did not ask for, and keeps it alive.
//
// Known limits. Rendering is synchronous, during which the program's other work waits: measured
// ~25 ms for 10 000 live tasks and ~0.2 s for 100 000 (bench/tree-request.mjs, loaded 2-core
// machine), most of it the tree's text; definition sites cost one inspector round trip per
// distinct function, not per task. A program that blocks its event loop
// answers when the loop turns. Not on Windows (no SIGUSR2).
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onProcessExit } from "../exit-hooks.js";
import { closeLocator, locate } from "../internal/locate.js";
import { invalid } from "../internal/validate.js";
import type { Nursery } from "../nursery.js";
import { render } from "../tree.js";
import { isSignalOtherThan, listen } from "./exit.js";

/** The first line of a tree file, before the signal's name. */
export const FILE_HEADER = "nursery tree requests on ";

/**
 * Where a program answering tree requests writes its tree for `nursery-ps`: the header line, then
 * the last tree it printed (nothing before the first request). Present only while it answers.
 */
export function treeFile(pid: number): string {
  return join(tmpdir(), `nursery-${pid}.tree`);
}

/**
 * Checks run()'s `treeSignal` option: a signal this platform knows, catchable, not Node's own
 * (SIGUSR1) and not one of the shutdown `signals`. Returns it, or undefined when the option is not set.
 */
export function checkTreeSignal(value: unknown, shutdownSignals: readonly string[]): NodeJS.Signals | undefined {
  if (value === undefined) return undefined;
  const reserved = ["SIGKILL", "SIGSTOP", "SIGUSR1", ...shutdownSignals];
  if (!isSignalOtherThan(value, reserved)) throw invalid("treeSignal", `a signal name other than ${reserved.join(", ")}`, value);
  return value;
}

/** The tree under `root` as the text a tree request answers with. */
export function treeReport(root: Nursery): string {
  // render() asks locate() once per distinct function, not per task: tasks mostly share a few.
  try {
    const { lines } = render(root, locate);
    return `task tree of pid ${process.pid} at ${new Date().toISOString()}:\n${lines.join("\n")}\n`;
  } finally {
    closeLocator();
  }
}

/**
 * Makes `signal` print the live tree under `root` to stderr and to {@link treeFile}, each time it
 * arrives, without touching anything else. Returns the remover, which also deletes the file; run()
 * calls it when it finishes.
 */
export function answerTreeRequests(root: Nursery, signal: NodeJS.Signals): () => void {
  const file = treeFile(process.pid);
  // Written at once, so that nursery-ps knows this program answers, and on which signal: a signal
  // sent to a program without a listener would terminate it.
  const publish = (text: string): void => {
    try {
      const partial = `${file}.${process.hrtime.bigint()}`;
      writeFileSync(partial, `${FILE_HEADER}${signal}\n${text}`, { mode: 0o600 });
      renameSync(partial, file);
    } catch (err) {
      // Only nursery-ps reads the file; an unwritable temporary folder must not disturb the program.
      process.stderr.write(`(the task tree could not be written to ${file}: ${(err as Error).message})\n`);
    }
  };
  publish("");
  const stop = listen(signal, () => {
    let text: string;
    try {
      text = treeReport(root);
    } catch (err) {
      // Asking must not stop the program: a failure to render is the answer, not an uncaught error.
      text = `task tree of pid ${process.pid} could not be rendered: ${String((err as Error)?.message ?? err)}\n`;
    }
    process.stderr.write(text);
    publish(text);
  });
  // A program that ends by process.exit() or an uncaught error, skipping run()'s finish, must not
  // leave a file that says it answers: a later process with the same pid would be signalled.
  const removeOnExit = onProcessExit(() => rmSync(file, { force: true }));
  return () => {
    stop();
    removeOnExit();
    rmSync(file, { force: true });
  };
}
