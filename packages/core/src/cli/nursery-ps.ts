#!/usr/bin/env node
// nursery-ps <pid>: prints the live task tree of a program running under run({ treeSignal }).
// The program's tree file (see tree-request.ts) says that it answers and on which signal; without
// it nothing is sent, since the signal would terminate a program not listening for it. Then it
// sends the signal, waits for the program to rewrite the file, and prints the tree. The program
// goes on running.
//   nursery-ps <pid> [--timeout 5000]
import { readFileSync, statSync } from "node:fs";
import { inspect } from "node:util";
import { run } from "../run/run.js";
import { FILE_HEADER, treeFile } from "../run/tree-request.js";

const USAGE = "usage: nursery-ps <pid> [--timeout ms]";

/** An error printed as its message alone: a command-line mistake, not a bug with a stack. */
function failure(message: string, exitCode: number): Error {
  const err = new Error(message);
  err.stack = `nursery-ps: ${message}`;
  // Not enumerable, and inspected as its text: run() prints an error with util.inspect, which would
  // otherwise show it as "[nursery-ps: ...] { exitCode: 1 }".
  Object.defineProperty(err, "exitCode", { value: exitCode });
  Object.defineProperty(err, inspect.custom, { value: () => err.stack });
  return err;
}

/**
 * The file's identity and time, or "" when it does not exist: it changes when the program rewrites
 * it. `owner`: the uid it belongs to.
 */
function version(file: string): { id: string; owner: number | undefined } {
  try {
    const s = statSync(file);
    return { id: `${s.ino}:${s.mtimeMs}`, owner: s.uid };
  } catch {
    return { id: "", owner: undefined };
  }
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function parse(args: readonly string[]): { pid: number; timeout: number } {
  let pid: number | undefined;
  let timeout = 5000;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--timeout") timeout = Number(args[++i]);
    else if (pid === undefined && /^\d+$/.test(arg) && Number(arg) > 0) pid = Number(arg);
    else throw failure(`unexpected argument ${JSON.stringify(arg)}\n${USAGE}`, 2);
  }
  if (pid === undefined) throw failure(USAGE, 2);
  if (!(timeout > 0)) throw failure("--timeout: expected a number of ms > 0", 2);
  return { pid, timeout };
}

await run(
  async (task) => {
    const { pid, timeout } = parse(process.argv.slice(2));
    const file = treeFile(pid);
    const before = version(file);
    const header = read(file)?.split("\n", 1)[0] ?? "";
    const signal = header.startsWith(FILE_HEADER) ? header.slice(FILE_HEADER.length) : "";
    if (!/^SIG[A-Z0-9]+$/.test(signal)) {
      throw failure(`pid ${pid} does not answer tree requests (no ${file}); run it under run() with the treeSignal option`, 1);
    }
    // The temporary folder may be shared: a file another user wrote could name any signal for any
    // pid. Only a file of the caller's own (or, for root, any user's) is trusted, and never one that
    // names a signal that run() never accepts as treeSignal.
    const uid = process.getuid?.();
    if (uid !== undefined && uid !== 0 && before.owner !== uid) {
      throw failure(`${file} belongs to another user (uid ${before.owner}), not to you (uid ${uid}); nothing was sent`, 1);
    }
    if (["SIGKILL", "SIGSTOP", "SIGUSR1"].includes(signal)) {
      throw failure(`${file} names ${signal}, which is not a tree signal; nothing was sent`, 1);
    }
    try {
      process.kill(pid, signal);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === "ESRCH" ? "no such process (it ended and left its file behind)" : code === "EPERM" ? "permission denied" : (err as Error).message;
      throw failure(`cannot signal pid ${pid}: ${why}`, 1);
    }
    const deadline = Date.now() + timeout;
    while (version(file).id === before.id) {
      task.signal.throwIfAborted();
      if (Date.now() > deadline) {
        throw failure(`pid ${pid} did not answer ${signal} within ${timeout} ms`, 1);
      }
      await new Promise<void>((resolve) => task.clock.setTimer(20, resolve));
    }
    const text = read(file);
    // run() deletes the file when the program ends: it ended before (or instead of) answering.
    if (text === undefined) throw failure(`pid ${pid} ended before it answered`, 1);
    process.stdout.write(text.slice(text.indexOf("\n") + 1));
  },
  { signals: ["SIGINT", "SIGTERM"], name: "nursery-ps" },
);
