// What happens to a child process when its owner is cancelled: killSignal to the whole process
// group, the grace period, SIGKILL, and the rejection with the owner's reason.
import { afterAll, afterEach, describe, expect, it } from "@jest/globals";
import { VirtualClock } from "@nursery/core/testing";
import { exec, ProcessError, spawnProcess } from "@nursery/process";
import { cleanup, isAlive, listeners, tempDir, waitForFile, waitUntil } from "./helpers.js";

const tracked = cleanup();
const tmp = tempDir();
afterEach(() => tracked.run());
afterAll(() => tmp.remove());

// Reads stdin until end-of-file. `read` fails both at end-of-file and when a trapped signal
// interrupts it, so traps that keep the shell running set `t=1` to tell the two apart. Exiting at
// end-of-file matters: a leftover shell looping on `read` would otherwise spin.
const READ_UNTIL_EOF = 'while :; do t=; read x || [ -n "$t" ] || exit 0; done';
// A shell that reports its TERM trap in a file and keeps running: it ignores SIGTERM.
const IGNORES_TERM = `trap 'echo term >> "$1"; t=1' TERM; echo ready; ${READ_UNTIL_EOF}`;

async function readUntil(lines: AsyncIterable<string>, last: string): Promise<string[]> {
  const seen: string[] = [];
  for await (const line of lines) {
    seen.push(line);
    if (line === last) break;
  }
  return seen;
}

describe("cancellation", () => {
  it("regression: a command that fails to start as its owner is cancelled rejects with ERR_PROCESS_SPAWN, not the cancellation", async () => {
    const controller = new AbortController();
    // The system's ENOENT arrives a tick after spawn; the owner is cancelled before it.
    const pending = exec({ signal: controller.signal }, "nursery-no-such-command");
    controller.abort(new Error("stop"));
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect(err).toMatchObject({ code: "ERR_PROCESS_SPAWN", cause: expect.objectContaining({ code: "ENOENT" }) });
  });

  it("kills the process and its grandchildren, then rejects with the owner's signal.reason", async () => {
    const owner = tracked.owner();
    // A large grace: only the group being empty can end the wait (no timing in this test).
    const proc = tracked.track(
      spawnProcess(owner, "sh", ["-c", "sleep 60 & echo $!; sleep 60 & echo $!; echo ready; wait"], { grace: 60_000 }),
    );
    const [first, second] = (await readUntil(proc.stdout, "ready")).map(Number) as [number, number];
    const pids = [proc.pid as number, first, second];
    expect(pids.map(isAlive)).toEqual([true, true, true]);

    const reason = new Error("stop");
    owner.abort(reason);
    await expect(proc.exited).rejects.toBe(reason);
    expect(pids.map(isAlive)).toEqual([false, false, false]);
    expect(proc.signalCode).toBe("SIGTERM");
  }, 70_000);

  it("lets the child's SIGTERM trap run, and still rejects with the reason when it exits 0", async () => {
    const owner = tracked.owner();
    const file = tmp.path("trap.txt");
    const proc = tracked.track(
      spawnProcess(owner, "sh", ["-c", `trap 'echo cleaned-up > "$1"; exit 0' TERM; echo ready; ${READ_UNTIL_EOF}`, "sh", file]),
    );
    await readUntil(proc.stdout, "ready");
    const reason = new Error("stop");
    owner.abort(reason);
    await expect(proc.exited).rejects.toBe(reason);
    expect(proc.exitCode).toBe(0);
    expect(await waitForFile(file)).toBe("cleaned-up\n");
  });

  it("escalates to SIGKILL when the grace period passes and the child ignores SIGTERM", async () => {
    const clock = new VirtualClock();
    const owner = tracked.owner();
    const file = tmp.path("ignored-term.txt");
    const proc = tracked.track(spawnProcess(owner, "sh", ["-c", IGNORES_TERM, "sh", file], { clock, grace: 5000 }));
    await readUntil(proc.stdout, "ready");
    const reason = new Error("stop");
    owner.abort(reason);
    expect(await waitForFile(file)).toBe("term\n"); // SIGTERM arrived and was survived
    expect(clock.pending).toBe(1);

    await clock.advance(4999);
    expect(isAlive(proc.pid as number)).toBe(true);
    expect(proc.exitCode).toBeNull();
    expect(proc.signalCode).toBeNull();

    await clock.advance(1);
    await expect(proc.exited).rejects.toBe(reason);
    expect(proc.signalCode).toBe("SIGKILL");
    expect(isAlive(proc.pid as number)).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it("takes the grace period from the owner's clock when the options give none", async () => {
    const clock = new VirtualClock();
    const controller = tracked.owner();
    const owner = { signal: controller.signal, clock };
    const file = tmp.path("owner-clock.txt");
    const proc = tracked.track(spawnProcess(owner, "sh", ["-c", IGNORES_TERM, "sh", file]));
    await readUntil(proc.stdout, "ready");
    controller.abort();
    await waitForFile(file);
    expect(clock.pending).toBe(1);
    await clock.advance(5000); // the default grace
    await expect(proc.exited).rejects.toBe(controller.signal.reason);
    expect(proc.signalCode).toBe("SIGKILL");
  });

  it("sends SIGKILL right after killSignal when grace is 0", async () => {
    const owner = tracked.owner();
    const proc = tracked.track(spawnProcess(owner, "sh", ["-c", IGNORES_TERM, "sh", tmp.path("grace0.txt")], { grace: 0 }));
    await readUntil(proc.stdout, "ready");
    owner.abort();
    await expect(proc.exited).rejects.toBe(owner.signal.reason);
    expect(proc.signalCode).toBe("SIGKILL");
  });

  it("sends the configured killSignal first", async () => {
    const owner = tracked.owner();
    const file = tmp.path("kill-signal.txt");
    const script = `trap 'echo INT > "$1"; exit 0' INT; trap 'echo TERM > "$1"; exit 0' TERM; echo ready; ${READ_UNTIL_EOF}`;
    const proc = tracked.track(spawnProcess(owner, "sh", ["-c", script, "sh", file], { killSignal: "SIGINT" }));
    await readUntil(proc.stdout, "ready");
    owner.abort();
    await expect(proc.exited).rejects.toBe(owner.signal.reason);
    expect(await waitForFile(file)).toBe("INT\n");
  });

  it("rejects a pending output iteration with the reason mid-stream and stops the process", async () => {
    const owner = tracked.owner();
    const proc = tracked.track(spawnProcess(owner, "sh", ["-c", "echo one; echo two; read x; echo three"]));
    const reason = new Error("stop");
    const seen: string[] = [];
    const reading = (async () => {
      for await (const line of proc.stdout) {
        seen.push(line);
        if (line === "two") owner.abort(reason);
      }
    })();
    await expect(reading).rejects.toBe(reason);
    expect(seen).toEqual(["one", "two"]);
    await expect(proc.exited).rejects.toBe(reason);
    expect(isAlive(proc.pid as number)).toBe(false);
    // Level-triggered: a new iteration rejects too.
    await expect(proc.stderr.lines().next()).rejects.toBe(reason);
  });

  it("stops a grandchild that still holds the output after the child itself exited", async () => {
    const owner = tracked.owner();
    const proc = tracked.track(spawnProcess(owner, "sh", ["-c", "sleep 60 & echo $!"], { grace: 60_000 }));
    const lines = proc.stdout.lines();
    const grandchild = Number((await lines.next()).value);
    await lines.return?.();
    await waitUntil(() => proc.exitCode === 0, "the shell exited"); // only the sleep keeps stdout open now
    expect(isAlive(grandchild)).toBe(true);
    owner.abort();
    await expect(proc.exited).rejects.toBe(owner.signal.reason);
    expect(isAlive(grandchild)).toBe(false);
  }, 70_000);

  it("signals only the child, not its group, with processGroup: false", async () => {
    const owner = tracked.owner();
    const proc = tracked.track(
      spawnProcess(owner, "sh", ["-c", "sleep 60 & echo $!; echo ready; wait"], { processGroup: false }),
    );
    const [grandchild] = (await readUntil(proc.stdout, "ready")).map(Number) as [number];
    owner.abort();
    await expect(proc.exited).rejects.toBe(owner.signal.reason);
    expect(isAlive(proc.pid as number)).toBe(false);
    try {
      expect(isAlive(grandchild)).toBe(true); // the documented cost of opting out
    } finally {
      process.kill(grandchild, "SIGKILL");
    }
  });

  it("removes its abort listener once the cancelled process is gone", async () => {
    const owner = tracked.owner();
    const proc = tracked.track(spawnProcess(owner, "sleep", ["60"]));
    expect(listeners(owner.signal)).toBe(1);
    owner.abort();
    await proc.exited.catch(() => undefined);
    expect(listeners(owner.signal)).toBe(0);
  });
});
