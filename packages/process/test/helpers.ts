// Shared test helpers: liveness checks, waiting for a file a child writes, cleanup of every
// process and owner a test created, and the process-tree fixture programs.
import { afterAll, afterEach, expect } from "@jest/globals";
import { getEventListeners } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnFixture, type Fixture } from "@nursery/core/testing";
import type { Subprocess } from "@nursery/process";

/** True while `pid` exists (kill -0); false once kill -0 fails with ESRCH. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

/**
 * Resolves with the content of `file` once a child has written a complete line to it. A condition
 * the child reports, not a delay: the timeout only turns a broken test into a clear failure.
 */
export async function waitForFile(file: string, timeout = 15_000): Promise<string> {
  const started = Date.now();
  for (;;) {
    if (existsSync(file)) {
      const text = readFileSync(file, "utf8");
      if (text.endsWith("\n")) return text;
    }
    if (Date.now() - started > timeout) throw new Error(`${file} was not written within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves once `condition()` holds (checked every 10 ms); the timeout only reports a broken test. */
export async function waitUntil(condition: () => boolean, what: string, timeout = 15_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeout) throw new Error(`${what}: not true within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A temporary directory per test file. */
export function tempDir(): { path(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "nursery-process-"));
  return {
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Everything a test spawned, for afterEach: SIGKILLs each tracked process group through its own
 * handle (a no-op once it settled, so a reused pid is never hit), aborts every owner, and waits.
 */
export function cleanup(): {
  owner(): AbortController;
  track<T extends Subprocess>(proc: T): T;
  run(): Promise<void>;
} {
  const owners: AbortController[] = [];
  const procs: Subprocess[] = [];
  return {
    owner() {
      const controller = new AbortController();
      owners.push(controller);
      return controller;
    },
    track(proc) {
      procs.push(proc);
      return proc;
    },
    async run() {
      const spawned = procs.splice(0);
      for (const proc of spawned) proc.kill("SIGKILL");
      for (const controller of owners.splice(0)) controller.abort();
      await Promise.allSettled(spawned.map((p) => p.exited));
    },
  };
}

/** The number of abort listeners on `signal`. */
export function listeners(signal: AbortSignal): number {
  return getEventListeners(signal, "abort").length;
}

/**
 * A fixture program that starts a tree of three processes under run() and prints `pids A B C`,
 * then `ready` (test/fixtures/exit-kinds.mjs, orphans.mjs). Registers the file's afterEach (kill
 * the program, then SIGKILL any of its processes still alive: only after a failure can one be)
 * and afterAll (remove the temporary directory).
 */
export function processTreeFixture(file: string): {
  /** Starts the program in `mode` and waits until its three processes are alive. */
  start(mode: string): Promise<{ app: Fixture; trapFile: string }>;
  /** The pids the last program printed. */
  pids(): number[];
  /** Resolves once every one of them is gone (SIGKILLed processes are reaped a moment later), bounded. */
  gone(): Promise<void>;
} {
  const tmp = tempDir();
  let fixture: Fixture | undefined;
  let pids: number[] = [];
  afterEach(() => {
    fixture?.kill();
    fixture = undefined;
    // The liveness check keeps a reused pid safe enough.
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
    pids = [];
  });
  afterAll(() => tmp.remove());
  return {
    async start(mode) {
      const trapFile = tmp.path(`trap-${mode}.txt`);
      const app = spawnFixture(file, { args: [mode, trapFile] });
      fixture = app;
      const line = await app.waitForLine(/^pids /);
      pids = line.split(" ").slice(1).map(Number);
      expect(pids).toHaveLength(3);
      await app.waitForLine("ready");
      expect(pids.map(isAlive)).toEqual([true, true, true]);
      return { app, trapFile };
    },
    pids: () => pids,
    gone: () => waitUntil(() => pids.every((pid) => !isAlive(pid)), `pids ${pids.join(" ")} gone`),
  };
}
