// The conformance suite's test runner: one set of plain ES modules that Node, Bun and Deno run
// unchanged (jest runs on Node only, and `node:test` differs between the three). A test file only
// registers tests with test(); main.mjs imports the files it is given and calls runRegistered().
//
// Output, one line per test: `ok <name>` or `not ok <name>` followed by the error, indented; then a
// last line `# {"passed":n,"failed":m}` that run.mjs reads. A file that never prints it failed.
import assert from "node:assert/strict";

const registered = [];

/**
 * Registers a test. `timeout` is a safety net for a hung test (it then fails with a message
 * saying so), not a synchronisation oracle: nothing passes because time went by.
 */
export function test(name, fn, { timeout = 30_000 } = {}) {
  registered.push({ name, fn, timeout });
}

/** Runs every registered test in order, one at a time; returns the counts. */
export async function runRegistered(write = (line) => console.log(line)) {
  let passed = 0;
  let failed = 0;
  for (const { name, fn, timeout } of registered.splice(0)) {
    const cleanups = [];
    let timer;
    try {
      await Promise.race([
        fn({ defer: (cleanup) => cleanups.push(cleanup) }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`test did not settle within ${timeout} ms (safety net)`)), timeout);
        }),
      ]);
      await runCleanups(cleanups);
      passed++;
      write(`ok ${name}`);
    } catch (err) {
      await runCleanups(cleanups).catch(() => undefined);
      failed++;
      write(`not ok ${name}`);
      write(indent(err instanceof Error ? (err.stack ?? String(err)) : String(err)));
    } finally {
      clearTimeout(timer);
    }
  }
  return { passed, failed };
}

// Newest first, like a nursery; every cleanup runs even if one fails.
async function runCleanups(cleanups) {
  const errors = [];
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, "cleanup failed");
}

function indent(text) {
  return text.split("\n").map((line) => `    ${line}`).join("\n");
}

/** Resolves with the log once `predicate(log)` holds, checked after every push. */
export function eventLog() {
  const entries = [];
  const waiters = [];
  return {
    entries,
    push(entry) {
      entries.push(entry);
      for (const w of waiters.splice(0)) if (!w.check()) waiters.push(w);
    },
    until(predicate) {
      return new Promise((resolve) => {
        const w = { check: () => predicate(entries) && (resolve(entries), true) };
        if (!w.check()) waiters.push(w);
      });
    },
  };
}

export { assert };
