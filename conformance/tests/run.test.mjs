// run() with real signals: a child program on this same runtime, a "ready" line, a signal, then
// the exit status and the printed cleanup order.
import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import { spawnProgram } from "../runtime.mjs";
import { secondSignal, spawnSites } from "../expected.mjs";
import { test, assert } from "../harness.mjs";

const app = fileURLToPath(new URL("../fixtures/app.mjs", import.meta.url));
const cleanups = (stdout) => stdout.split("\n").filter((line) => line.startsWith("cleanup "));

/** The status a shell reports: the exit code, or 128+signo for a process killed by a signal. */
const status = ({ code, signal }) => code ?? 128 + constants.signals[signal];

function start(defer, mode) {
  const program = spawnProgram(app, [mode]);
  defer(() => program.kill());
  return program;
}

for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]]) {
  test(`run: ${sig} runs every cleanup newest-first and exits ${code}`, async ({ defer }) => {
    const program = start(defer, "graceful");
    await program.waitForLine("ready");
    program.signal(sig);
    const exit = await program.exited;
    assert.equal(status(exit), code, `exit ${JSON.stringify(exit)}`);
    assert.deepEqual(cleanups(exit.stdout), ["cleanup request-2", "cleanup request-1", "cleanup db-pool"]);
    assert.match(exit.stderr, new RegExp(`^received ${sig}, shutting down \\(`));
    assert.doesNotMatch(exit.stderr, /CancelledError/);
  });
}

test("run: a second SIGINT while a task ignores cancellation forces the exit with status 130", async ({ defer }) => {
  const program = start(defer, "ignore");
  await program.waitForLine("ready");
  program.signal("SIGINT");
  await program.waitForLine("stubborn ignores its cancellation");
  program.signal("SIGINT");
  const exit = await program.exited;
  assert.equal(status(exit), 130, `exit ${JSON.stringify(exit)}`);
  if (secondSignal === "report-at-second") {
    assert.equal(exit.code, 130);
    assert.match(exit.stderr, /received SIGINT again, exiting now; still running:/);
    assert.match(exit.stderr, /stubborn \[cancelling, /);
  } else {
    // The tree was printed at the first signal, before anything was cancelled; the second signal
    // met the default disposition.
    assert.equal(exit.signal, "SIGINT");
    assert.match(exit.stderr, /^received SIGINT, shutting down \(press Ctrl\+C again to force\)\nstill running:\n/);
    assert.match(exit.stderr, /stubborn \[running, /);
    assert.doesNotMatch(exit.stderr, /again, exiting now/);
  }
  if (spawnSites) assert.match(exit.stderr, /stubborn \[[a-z]+, [^\]]*\] at file:.*app\.mjs:\d+:\d+$/m);
  else assert.match(exit.stderr, /stubborn \[[a-z]+, [^\]]*\]$/m);
  // The newest task never finished, so the older ones were never cancelled.
  assert.deepEqual(cleanups(exit.stdout), []);
});

test("run: a second SIGTERM while cleanup blocks the event loop still forces the exit with status 143", async ({ defer }) => {
  const program = start(defer, "block");
  await program.waitForLine("ready");
  program.signal("SIGTERM");
  // Node: the watchdog found the blocked loop and restored the default disposition. Bun, Deno: it
  // was restored at the first signal, before the loop blocked.
  await program.waitForLine(secondSignal === "report-at-second" ? "the next signal exits at once" : "blocking the loop");
  program.signal("SIGTERM");
  const exit = await program.exited;
  assert.equal(exit.signal, "SIGTERM", `exit ${JSON.stringify(exit)}`);
  assert.equal(status(exit), 143);
  assert.match(exit.stderr, secondSignal === "report-at-second" ? /blocker \[cancelling, / : /blocker \[running, /);
});
