import { spawn, type ChildProcess } from "node:child_process";
import { checkOptions, checkString } from "../internal/validate.js";

/** How a fixture program ended. */
export interface FixtureExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running fixture program. See {@link spawnFixture}. */
export interface Fixture {
  readonly child: ChildProcess;
  /** Everything printed to stdout so far. */
  stdout(): string;
  /** Everything printed to stderr so far. */
  stderr(): string;
  /** Resolves with the first stdout or stderr line (already printed or still to come) matching `match`. */
  waitForLine(match: string | RegExp, options?: { timeout?: number }): Promise<string>;
  /** Sends a signal to the program. */
  signal(sig: NodeJS.Signals): void;
  /** Settles when the program exits. */
  readonly exited: Promise<FixtureExit>;
  /** SIGKILLs the program if it is still running (call it in `afterEach`). */
  kill(): void;
}

/**
 * Runs a Node program (`node file ...args`) with piped output, for tests of signal handling and
 * exit codes: wait for its "ready" line, send a signal, assert on the exit and the printed order.
 * `waitForLine`'s timeout is a safety net for a broken test, not a synchronisation oracle.
 *
 * @example
 * ```ts
 * const app = spawnFixture(require.resolve("./fixtures/server.mjs"));
 * await app.waitForLine("ready");
 * app.signal("SIGINT");
 * expect((await app.exited).code).toBe(130);
 * ```
 */
export function spawnFixture(
  file: string,
  options?: { args?: readonly string[]; env?: Record<string, string>; cwd?: string; nodeArgs?: readonly string[] },
): Fixture {
  checkString("file", file);
  checkOptions("options", options);
  const child = spawn(process.execPath, [...(options?.nodeArgs ?? []), file, ...(options?.args ?? [])], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...options?.env },
    ...(options?.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let out = "";
  let err = "";
  const lines: string[] = [];
  const waiters = new Set<{ match: string | RegExp; resolve: (line: string) => void }>();
  const partial = { stdout: "", stderr: "" };
  const feed = (which: "stdout" | "stderr", chunk: string): void => {
    const text = partial[which] + chunk;
    const parts = text.split("\n");
    partial[which] = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters) {
        if (matches(w.match, line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    feed("stdout", chunk);
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
    feed("stderr", chunk);
  });
  const exited = new Promise<FixtureExit>((resolve) => {
    child.on("close", (code, signal) => {
      for (const p of ["stdout", "stderr"] as const) if (partial[p] !== "") feed(p, "\n");
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    signal(sig) {
      child.kill(sig);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
    waitForLine(match, opts) {
      const found = lines.find((line) => matches(match, line));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<string>((resolve, reject) => {
        const waiter = { match, resolve: (line: string) => { clearTimeout(timer); resolve(line); } };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no line matching ${String(match)} within ${opts?.timeout ?? 20_000} ms\nstdout:\n${out}\nstderr:\n${err}`));
        }, opts?.timeout ?? 20_000);
        waiters.add(waiter);
        void exited.then(() => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`program exited before printing a line matching ${String(match)}\nstdout:\n${out}\nstderr:\n${err}`));
        });
      });
    },
  };
}

function matches(match: string | RegExp, line: string): boolean {
  return typeof match === "string" ? line.includes(match) : match.test(line);
}
