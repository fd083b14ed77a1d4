// Shared test helpers: liveness checks, waiting for a file a child writes, and cleanup of every
// process and owner a test created.
import { getEventListeners } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
