import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { ProcessError, spawnProcess } from "@nursery/process";
import { cleanup, listeners } from "./helpers.js";

const childProcess = require("node:child_process") as typeof import("node:child_process");

const tracked = cleanup();
afterEach(async () => {
  jest.restoreAllMocks();
  await tracked.run();
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("spawnProcess", () => {
  it("yields stdout as lines without terminators, including a last unterminated line", async () => {
    const proc = tracked.track(spawnProcess(tracked.owner(), "printf", ["a\\nb\\r\\n\\nc"]));
    expect(await collect(proc.stdout)).toEqual(["a", "b", "", "c"]);
    await expect(proc.exited).resolves.toEqual({ exitCode: 0, signal: null });
    expect(proc.exitCode).toBe(0);
    expect(proc.signalCode).toBeNull();
  });

  it("yields raw chunks from chunks() and stderr separately from stdout", async () => {
    const proc = tracked.track(spawnProcess(tracked.owner(), "sh", ["-c", "printf out; printf err >&2"]));
    const [out, err] = await Promise.all([collect(proc.stdout.chunks()), collect(proc.stderr.chunks())]);
    expect(Buffer.concat(out).toString()).toBe("out");
    expect(Buffer.concat(err).toString()).toBe("err");
    await proc.exited;
  });

  it("writes to the child through stdin", async () => {
    const proc = tracked.track(spawnProcess(tracked.owner(), "cat"));
    const lines = proc.stdout.lines();
    proc.stdin?.write("hello\n");
    await expect(lines.next()).resolves.toEqual({ done: false, value: "hello" });
    proc.stdin?.end("bye\n");
    await expect(lines.next()).resolves.toEqual({ done: false, value: "bye" });
    await expect(lines.next()).resolves.toEqual({ done: true, value: undefined });
    await expect(proc.exited).resolves.toEqual({ exitCode: 0, signal: null });
  });

  it("keeps the rest of the output for the next iteration after a break", async () => {
    const proc = tracked.track(spawnProcess(tracked.owner(), "printf", ["1\\n2\\n3\\n4\\n"]));
    const first: string[] = [];
    for await (const line of proc.stdout) {
      first.push(line);
      if (line === "2") break;
    }
    expect(first).toEqual(["1", "2"]);
    expect(await collect(proc.stdout)).toEqual(["3", "4"]);
  });

  it("stops only the iteration when its own signal aborts; the process keeps running", async () => {
    const owner = tracked.owner();
    const proc = tracked.track(spawnProcess(owner, "sh", ["-c", "echo one; read x; echo two"]));
    const stop = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const line of proc.stdout.lines({ signal: stop.signal })) {
        seen.push(line);
        if (line === "one") stop.abort(new Error("enough"));
      }
    })();
    await expect(reading).rejects.toThrow("enough");
    expect(seen).toEqual(["one"]);
    expect(listeners(stop.signal)).toBe(0);
    expect(proc.exitCode).toBeNull();
    proc.stdin?.write("go\n");
    expect(await collect(proc.stdout)).toEqual(["two"]);
    await expect(proc.exited).resolves.toEqual({ exitCode: 0, signal: null });
  });

  it("rejects exited with a ProcessError on a non-zero exit, and resolves it under allowNonZero", async () => {
    const failing = tracked.track(spawnProcess(tracked.owner(), "sh", ["-c", "echo broken >&2; exit 4"]));
    await expect(failing.exited).rejects.toMatchObject({ code: "ERR_PROCESS_EXIT", exitCode: 4, stderr: "broken\n" });
    const allowed = tracked.track(spawnProcess(tracked.owner(), "sh", ["-c", "exit 4"], { allowNonZero: true }));
    await expect(allowed.exited).resolves.toEqual({ exitCode: 4, signal: null });
  });

  it("quotes stderr in the ProcessError even when the caller read stderr itself", async () => {
    const proc = tracked.track(spawnProcess(tracked.owner(), "sh", ["-c", "echo why >&2; exit 1"]));
    expect(await collect(proc.stderr)).toEqual(["why"]);
    await expect(proc.exited).rejects.toMatchObject({ stderr: "why\n" });
  });

  it("resolves exited although nobody read the output", async () => {
    const proc = tracked.track(spawnProcess(tracked.owner(), "sh", ["-c", "yes | head -n 100000; yes | head -n 1000 >&2"]));
    await expect(proc.exited).resolves.toEqual({ exitCode: 0, signal: null });
  });

  it("reports a signal sent with kill() as the exit status, not as a cancellation", async () => {
    const owner = tracked.owner();
    const proc = tracked.track(spawnProcess(owner, "sh", ["-c", "echo ready; read x"]));
    await proc.stdout.lines().next();
    expect(proc.kill("SIGUSR1")).toBe(true);
    const err = await proc.exited.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect(err).toMatchObject({ exitCode: null, signal: "SIGUSR1" });
    expect(proc.signalCode).toBe("SIGUSR1");
    expect(proc.kill()).toBe(false);
    expect(owner.signal.aborted).toBe(false);
  });

  it("throws a TypeError when iterating an output that is not piped", () => {
    const proc = tracked.track(spawnProcess(tracked.owner(), "true", [], { stdout: "ignore", stdin: "ignore" }));
    expect(() => proc.stdout.lines()).toThrow(
      new TypeError('`stdout` is not piped (ignore); spawn with `stdout: "pipe"` to read it'),
    );
    expect(proc.stdin).toBeNull();
  });

  it("throws a TypeError when a second iteration starts before the first one finished", async () => {
    const proc = tracked.track(spawnProcess(tracked.owner(), "printf", ["x\\n"]));
    const first = proc.stdout.lines();
    expect(() => proc.stdout.chunks()).toThrow(TypeError);
    await first.return?.();
    expect(await collect(proc.stdout)).toEqual(["x"]);
  });

  it("spawns nothing and rejects everything with signal.reason when the signal is already aborted", async () => {
    const spawn = jest.spyOn(childProcess, "spawn");
    const owner = tracked.owner();
    const reason = new Error("already cancelled");
    owner.abort(reason);
    const proc = spawnProcess(owner, "sleep", ["60"]);
    expect(spawn).not.toHaveBeenCalled();
    expect(proc.pid).toBeUndefined();
    expect(proc.stdin).toBeNull();
    await expect(proc.exited).rejects.toBe(reason);
    await expect(proc.stdout.lines().next()).rejects.toBe(reason);
    expect(proc.kill()).toBe(false);
    expect(listeners(owner.signal)).toBe(0);
  });

  it("adds one abort listener on the owner's signal per process and removes it when the process settles", async () => {
    const owner = tracked.owner();
    const a = tracked.track(spawnProcess(owner, "sh", ["-c", "read x"]));
    const b = tracked.track(spawnProcess(owner, "sh", ["-c", "read x; exit 3"]));
    expect(listeners(owner.signal)).toBe(2);
    a.stdin?.end("\n");
    await a.exited;
    expect(listeners(owner.signal)).toBe(1);
    b.stdin?.end("\n");
    await b.exited.catch(() => undefined);
    expect(listeners(owner.signal)).toBe(0);
  });
});
