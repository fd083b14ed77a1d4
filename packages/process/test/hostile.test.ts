// Hostile input for @nursery/process (exec, spawnProcess, Subprocess, its outputs): wrong types,
// NaN, negative and huge numbers (grace, bufferLimit), already-aborted signals and cancelled or
// closed owners, hostile nurseries and clocks, and re-entrant calls (aborting from inside a
// `for await` over the output, kill() after exit, exited read twice, a process stopped instead of
// terminated). Each gives a TypeError in the house shape or a documented behaviour, never a hang
// and never a process left behind: every pid a test started is checked with `process.kill(pid, 0)`
// throwing ESRCH after the test, and listener counts return to baseline.
//
// "Never a hang" is decided without real-time thresholds: the grace period runs on a VirtualClock,
// a promise that must settle at once is checked after a bounded number of event-loop turns
// (`within()`), and waits for the operating system are for a condition (`waitUntil`), not a delay.
import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { readFileSync } from "node:fs";
import { CancelledError, NurseryClosedError, nursery, type Clock, type Nursery, type TaskContext } from "@nursery/core";
import { VirtualClock, expectInvalidArgument, NOT_DURATIONS, thrown, settledWithin as within, settledBy, type Settled } from "@nursery/core/testing";
import { exec, ProcessError, spawnProcess, type Subprocess } from "@nursery/process";
import { cleanup, isAlive, listeners, waitUntil } from "./helpers.js";

const childProcess = require("node:child_process") as typeof import("node:child_process");

// Argument errors are checked with expectInvalidArgument, for the house shape:
// Expected `name` to be <what>, got `<value>` (<typeof>).
// Deliberately wrong input: `never` fits any parameter, so the type checker lets it through.
const bad = (value: unknown): never => value as never;

/** Waits for `promise`, which depends on a process, to settle: a condition with waitUntil's bound, not a delay. */
const outcome = (promise: PromiseLike<unknown>): Promise<Settled> =>
  settledBy(promise, (settled) => waitUntil(settled, "the promise settled"));

// Every process a test starts is tracked: afterEach SIGKILLs what is left, aborts every owner, and
// then checks that each pid is gone (kill -0 fails with ESRCH).
const tracked = cleanup();
const pids = new Set<number>();
afterEach(async () => {
  jest.restoreAllMocks();
  await tracked.run();
  const left = [...pids].filter(isAlive);
  pids.clear();
  expect(left).toEqual([]);
});

function track<T extends Subprocess>(proc: T): T {
  tracked.track(proc);
  if (proc.pid !== undefined) pids.add(proc.pid);
  return proc;
}

/** Spies on child_process.spawn: for checking that nothing was started. */
const spySpawn = () => jest.spyOn(childProcess, "spawn");

/** Linux: the state letter of `pid` in /proc (R, S, T stopped, Z zombie...). */
function procState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] ?? "?";
  } catch {
    return "gone";
  }
}
const linuxIt = process.platform === "linux" ? it : it.skip;

// A shell that ignores SIGTERM entirely and waits for a line on stdin: only SIGKILL (or end of
// input) ends it. Builtins only, so no grandchild outlives it.
const IGNORES_TERM = "trap '' TERM; echo ready; read x";
// A shell that prints two lines and waits.
const TWO_LINES = "echo one; echo two; read x";

async function firstLine(proc: Subprocess): Promise<string | undefined> {
  const lines = proc.stdout.lines();
  const { value } = await lines.next();
  await lines.return?.();
  return value;
}

const notNumbers = NOT_DURATIONS;

type Runner = (owner: unknown, command: unknown, args?: unknown, options?: unknown) => unknown;
const runners: [string, Runner][] = [
  ["exec", exec as Runner],
  ["spawnProcess", spawnProcess as Runner],
];

// ------------------------------------------------------------------------------------------------
// Wrong types, NaN, negative and huge numbers
// ------------------------------------------------------------------------------------------------

describe("process: hostile numbers", () => {
  it.each(notNumbers)("grace of %s: exec and spawnProcess throw a house-shape TypeError, spawn nothing and add no listener", (_label, value) => {
    const spawn = spySpawn();
    const owner = new AbortController();
    for (const [, run] of runners) expectInvalidArgument(thrown(() => run(owner, "true", [], { grace: value })), "grace");
    expect(spawn).not.toHaveBeenCalled();
    expect(listeners(owner.signal)).toBe(0);
  });

  it.each([...notNumbers, ["0", 0] as [string, unknown], ["-0", -0] as [string, unknown]])(
    "bufferLimit of %s: spawnProcess throws a house-shape TypeError and spawns nothing",
    (_label, value) => {
      const spawn = spySpawn();
      expectInvalidArgument(thrown(() => spawnProcess(new AbortController(), "true", [], { bufferLimit: bad(value) })), "bufferLimit");
      expect(spawn).not.toHaveBeenCalled();
    },
  );

  it.each([["2^31", 2 ** 31], ["2^53", 2 ** 53], ["1e300", 1e300], ["Number.MAX_VALUE", Number.MAX_VALUE]] as [string, number][])(
    "grace of %s never escalates early (past setTimeout's limit); when the process dies otherwise, the timer is cleared",
    async (_label, grace) => {
      const clock = new VirtualClock();
      const owner = tracked.owner();
      const proc = track(spawnProcess(owner, "sh", ["-c", IGNORES_TERM], { grace, clock }));
      expect(await firstLine(proc)).toBe("ready");
      const reason = new Error("stop");
      owner.abort(reason);
      expect(clock.pending).toBe(1);
      await clock.advance(2 ** 31 - 1);
      expect(clock.pending).toBe(1); // not fired: no SIGKILL was sent
      expect(proc.signalCode).toBeNull();
      expect(isAlive(proc.pid as number)).toBe(true);
      proc.kill("SIGKILL"); // the process ends some other way...
      expect(await outcome(proc.exited)).toEqual({ state: "rejected", error: reason }); // ...still a cancellation
      expect(clock.pending).toBe(0);
      expect(listeners(owner.signal)).toBe(0);
    },
  );

  it("grace of Infinity sets no timer at all; -0 and 1e-9 escalate at the next clock step", async () => {
    const clock = new VirtualClock();
    const owner = tracked.owner();
    const forever = track(spawnProcess(owner, "sh", ["-c", IGNORES_TERM], { grace: Infinity, clock }));
    const zero = track(spawnProcess(owner, "sh", ["-c", IGNORES_TERM], { grace: -0, clock }));
    const tiny = track(spawnProcess(owner, "sh", ["-c", IGNORES_TERM], { grace: 1e-9, clock }));
    for (const proc of [forever, zero, tiny]) expect(await firstLine(proc)).toBe("ready");
    owner.abort("stop");
    expect(clock.pending).toBe(2); // -0 and 1e-9; none for Infinity
    await clock.advance(1);
    for (const proc of [zero, tiny]) {
      expect(await outcome(proc.exited)).toEqual({ state: "rejected", error: "stop" });
      expect(proc.signalCode).toBe("SIGKILL");
    }
    expect((await within(forever.exited, 5)).state).toBe("pending"); // ignores SIGTERM, and nothing escalates
    expect(forever.kill("SIGKILL")).toBe(true);
    expect(await outcome(forever.exited)).toEqual({ state: "rejected", error: "stop" });
    expect(clock.pending).toBe(0);
    expect(listeners(owner.signal)).toBe(0);
  });

  it.each([["1e-9", 1e-9], ["1", 1], ["1e300", 1e300], ["Infinity", Infinity]] as [string, number][])(
    "bufferLimit of %s: all output arrives, in order, and the process exits",
    async (_label, bufferLimit) => {
      const proc = track(spawnProcess(tracked.owner(), "seq", ["1", "3000"], { bufferLimit, stdin: "ignore" }));
      const lines: string[] = [];
      for await (const line of proc.stdout) lines.push(line);
      expect(lines).toHaveLength(3000);
      expect([lines[0], lines[2999]]).toEqual(["1", "3000"]);
      expect(await outcome(proc.exited)).toEqual({ state: "fulfilled", value: { exitCode: 0, signal: null } });
    },
  );
});

describe("process: hostile argument types", () => {
  const optionCases: [string, unknown[]][] = [
    ["killSignal", ["sigterm", "TERM", "", 15, null, Symbol("s"), {}, "SIGNOPE", "constructor", "__proto__"]],
    ["stdout", ["PIPE", "", null, 1, ["pipe"], "file"]],
    ["stderr", ["PIPE", "", null, 1, ["pipe"], "file"]],
    ["processGroup", ["yes", 1, null, {}]],
    ["allowNonZero", ["false", 0, null, {}]],
    ["cwd", [1, null, {}, true, ["/"]]],
    ["env", ["A=1", 5, null, true]],
    // `clock: null` used to fall back to the owner's clock silently; only an absent clock does now.
    ["clock", [null, 5, {}, Date, { now: () => 0, setTimer: () => ({}) }]],
  ];

  it.each(optionCases)("%s: every wrong value throws a house-shape TypeError from exec and spawnProcess, spawning nothing", (name, values) => {
    const spawn = spySpawn();
    const owner = new AbortController();
    for (const value of values) {
      for (const [, run] of runners) expectInvalidArgument(thrown(() => run(owner, "true", [], { [name]: value })), name);
    }
    expect(spawn).not.toHaveBeenCalled();
    expect(listeners(owner.signal)).toBe(0);
  });

  it("options, owners, commands and args of the wrong type throw in the house shape, spawning nothing", () => {
    const spawn = spySpawn();
    const owner = new AbortController();
    for (const [, run] of runners) {
      for (const options of [null, 5, "opts", true, Symbol("o")]) expectInvalidArgument(thrown(() => run(owner, "true", [], options)), "options");
      for (const task of [undefined, null, 5, "task", Symbol("t")]) expectInvalidArgument(thrown(() => run(task, "true")), "task");
      // Objects without an AbortSignal `signal`, a bare AbortSignal included.
      for (const task of [{}, { signal: 5 }, { signal: {} }, { signal: null }, new AbortController().signal]) {
        expectInvalidArgument(thrown(() => run(task, "true")), "task.signal");
      }
      expectInvalidArgument(thrown(() => run({ signal: owner.signal, clock: 5 }, "true")), "clock");
      for (const command of [undefined, null, "", 5, ["ls"], new String("ls"), "l\0s"]) expectInvalidArgument(thrown(() => run(owner, command)), "command");
      for (const args of ["-l", { length: 1, 0: "x" }, new Set(["x"]), 5, null]) expectInvalidArgument(thrown(() => run(owner, "echo", args)), "args");
      for (const [args, name] of [[[1], "args[0]"], [[null], "args[0]"], [[undefined], "args[0]"], [["a", "b\0"], "args[1]"], [["a", {}], "args[1]"]] as [unknown[], string][]) {
        expectInvalidArgument(thrown(() => run(owner, "echo", args)), name);
      }
    }
    expect(spawn).not.toHaveBeenCalled();
    expect(listeners(owner.signal)).toBe(0);
  });

  it("a sparse args array is refused at its hole, not run with the argument \"undefined\"", () => {
    // Regression: args were checked with forEach, which skips holes; spawn() then passed "undefined".
    const spawn = spySpawn();
    const sparse: string[] = [];
    sparse[1] = "x";
    for (const [, run] of runners) expectInvalidArgument(thrown(() => run(new AbortController(), "echo", sparse)), "args[0]");
    expect(spawn).not.toHaveBeenCalled();
  });

  it("owners and options whose getters throw, or revoked proxies: the error is thrown synchronously and nothing is spawned", () => {
    const spawn = spySpawn();
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const throwing = new Proxy({}, { get: () => { throw new Error("getter"); } });
    for (const [, run] of runners) {
      expect(thrown(() => run(throwing, "true"))).toEqual(new Error("getter"));
      expect(thrown(() => run(proxy, "true"))).toBeInstanceOf(TypeError);
      expect(thrown(() => run(new AbortController(), "true", [], throwing))).toEqual(new Error("getter"));
    }
    expect(spawn).not.toHaveBeenCalled();
  });

  it("exec: input of the wrong type, and stdin that contradicts input, throw in the house shape", () => {
    const spawn = spySpawn();
    const owner = new AbortController();
    for (const input of [null, 5, {}, [], true, new ArrayBuffer(1), new DataView(new ArrayBuffer(1))]) {
      expectInvalidArgument(thrown(() => exec(owner, "cat", [], { input: bad(input) })), "input");
    }
    expectInvalidArgument(thrown(() => exec(owner, "cat", [], { input: "x", stdin: "ignore" })), "stdin");
    expectInvalidArgument(thrown(() => exec(owner, "cat", [], { stdin: bad("pipe") })), "stdin"); // a pipe nobody writes to
    expectInvalidArgument(thrown(() => exec(owner, "cat", [], { stdin: bad("file") })), "stdin");
    expectInvalidArgument(thrown(() => spawnProcess(owner, "cat", [], { stdin: bad(null) })), "stdin");
    expect(spawn).not.toHaveBeenCalled();
  });

  it("kill() and lines()/chunks() of the wrong type throw in the house shape, before and after exit, changing nothing", async () => {
    const owner = tracked.owner();
    const proc = track(spawnProcess(owner, "sh", ["-c", TWO_LINES]));
    const badSignals = ["SIGNOPE", "sigterm", 9, 0, null, {}];
    for (const sig of badSignals) expectInvalidArgument(thrown(() => proc.kill(bad(sig))), "signal");
    for (const options of [null, 5, "x"]) {
      expectInvalidArgument(thrown(() => proc.stdout.lines(bad(options))), "options");
      expectInvalidArgument(thrown(() => proc.stderr.chunks(bad(options))), "options");
    }
    for (const signal of [{}, new AbortController(), true, "soon"]) expectInvalidArgument(thrown(() => proc.stdout.lines(bad({ signal }))), "signal");
    // None of that locked the output or touched the process.
    const lines: string[] = [];
    for await (const line of proc.stdout) {
      lines.push(line);
      if (line === "two") break;
    }
    expect(lines).toEqual(["one", "two"]);
    proc.stdin?.end("\n");
    expect(await outcome(proc.exited)).toEqual({ state: "fulfilled", value: { exitCode: 0, signal: null } });
    for (const sig of badSignals) expectInvalidArgument(thrown(() => proc.kill(bad(sig))), "signal");
  });

  it("Node's own refusals (a NUL byte in cwd or env) throw its TypeError synchronously; a task's nursery is not held open", async () => {
    const seen: unknown[] = [];
    const done = nursery(async (n) => {
      await n.spawn((task) => {
        for (const options of [{ cwd: "a\0b" }, { env: { A: "a\0b" } }]) {
          for (const [, run] of runners) seen.push(thrown(() => run(task, "true", [], options)));
        }
      });
      await within(Promise.resolve(), 5);
      return n.children.length; // the keepers joined the nursery, and were released
    });
    expect(await outcome(done)).toEqual({ state: "fulfilled", value: 0 });
    expect(seen).toHaveLength(4);
    for (const err of seen) {
      expect((err as Error).name).toBe("TypeError");
      expect((err as NodeJS.ErrnoException).code).toBe("ERR_INVALID_ARG_VALUE");
    }
  });

  it("system refusals Node throws (a file as cwd: ENOTDIR; an argument over 128 KiB: E2BIG) reject like any spawn failure", async () => {
    // Regression: these escaped exec()/spawnProcess() as a raw synchronous Error instead of the
    // documented ProcessError ERR_PROCESS_SPAWN that ENOENT and EACCES already gave.
    const owner = tracked.owner();
    const cases: [string, string[], { cwd?: string }][] = [
      ["ENOTDIR", [], { cwd: process.execPath }],
      ["E2BIG", ["x".repeat(200_000)], {}],
    ];
    const done = nursery(async (n) => {
      for (const [code, args, options] of cases) {
        for (const who of [owner, n]) {
          let result: Promise<unknown> | undefined;
          expect(thrown(() => (result = exec(who, "echo", args, options)))).toBeUndefined();
          let proc: Subprocess | undefined;
          expect(thrown(() => (proc = spawnProcess(who, "echo", args, options)))).toBeUndefined();
          for (const settled of [await within(result as Promise<unknown>), await within((proc as Subprocess).exited)]) {
            expect(settled.state).toBe("rejected");
            const err = (settled as { error: ProcessError }).error;
            expect(err).toBeInstanceOf(ProcessError);
            expect(err.code).toBe("ERR_PROCESS_SPAWN");
            expect((err.cause as NodeJS.ErrnoException).code).toBe(code);
          }
          expect(proc?.pid).toBeUndefined();
          expect(proc?.kill()).toBe(false);
          expect(await within((proc as Subprocess).stdout.lines().next())).toEqual({ state: "fulfilled", value: { done: true, value: undefined } });
        }
      }
      expect(listeners(owner.signal)).toBe(0);
    });
    expect((await outcome(done)).state).toBe("fulfilled"); // no keeper is left holding the nursery open
  });
});

// ------------------------------------------------------------------------------------------------
// Already-aborted signals, cancelled and closed owners, hostile nurseries and clocks
// ------------------------------------------------------------------------------------------------

describe("process: already aborted, cancelled or closed", () => {
  const thenable = { then: (): void => {} }; // a rejection reason that looks like a promise
  const reasons: [string, unknown][] = [
    ["an Error", new Error("already")],
    ["a string", "already"],
    ["null", null],
    ["0", 0],
    ["a Symbol", Symbol("already")],
    ["a thenable", thenable],
    ["none (AbortError)", undefined],
  ];

  it.each(reasons)("an owner aborted with %s: exec and spawnProcess reject with that very reason and spawn nothing", async (_label, given) => {
    const spawn = spySpawn();
    const owner = new AbortController();
    owner.abort(given);
    const reason: unknown = owner.signal.reason;
    const clock = new VirtualClock();
    expect(await within(exec(owner, "sleep", ["60"], { clock }))).toEqual({ state: "rejected", error: reason });
    const proc = spawnProcess(owner, "sleep", ["60"], { clock });
    expect(proc.exited).toBe(proc.exited); // the same promise each time
    expect(await within(proc.exited)).toEqual({ state: "rejected", error: reason });
    expect(await within(proc.exited)).toEqual({ state: "rejected", error: reason });
    expect(await within(proc.stdout.lines().next())).toEqual({ state: "rejected", error: reason });
    expect(await within(proc.stdout.chunks().next())).toEqual({ state: "rejected", error: reason }); // the lines() iteration let go
    expect(await within(proc.stderr[Symbol.asyncIterator]().next())).toEqual({ state: "rejected", error: reason });
    expect([proc.pid, proc.stdin, proc.exitCode, proc.signalCode]).toEqual([undefined, null, null, null]);
    expect(proc.kill()).toBe(false);
    expect(proc.kill("SIGKILL")).toBe(false);
    expectInvalidArgument(thrown(() => proc.kill(bad("SIGNOPE"))), "signal");
    expect(spawn).not.toHaveBeenCalled();
    expect(clock.pending).toBe(0);
    expect(listeners(owner.signal)).toBe(0);
  });

  it("a cancelled core task: exec and spawnProcess reject with its own CancelledError and add no keeper to its nursery", async () => {
    const spawn = spySpawn();
    const seen: unknown[] = [];
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        await new Promise((resolve) => task.signal.addEventListener("abort", resolve));
        const children = n.children.length;
        seen.push((await within(exec(task, "sleep", ["60"]))) as unknown);
        seen.push((await within(spawnProcess(task, "sleep", ["60"]).exited)) as unknown);
        seen.push(n.children.length - children);
        seen.push(task.signal.reason);
      });
      t.cancel("gone");
    });
    expect(seen[0]).toEqual({ state: "rejected", error: seen[3] });
    expect(seen[1]).toEqual({ state: "rejected", error: seen[3] });
    expect(seen[2]).toBe(0);
    expect(seen[3]).toBeInstanceOf(CancelledError);
    expect(spawn).not.toHaveBeenCalled();
  });

  it("a nursery that already finished, or a task of one: rejects with NurseryClosedError and spawns nothing", async () => {
    const spawn = spySpawn();
    let closed!: Nursery;
    let ended!: TaskContext;
    await nursery((n) => {
      closed = n;
      n.spawn((task) => {
        ended = task;
      });
    });
    for (const owner of [closed, ended]) {
      const execResult = await within(exec(owner, "sleep", ["60"]));
      expect((execResult as { error: unknown }).error).toBeInstanceOf(NurseryClosedError);
      const proc = spawnProcess(owner, "sleep", ["60"]);
      expect((await within(proc.exited) as { error: unknown }).error).toBeInstanceOf(NurseryClosedError);
      expect(proc.pid).toBeUndefined();
    }
    expect(spawn).not.toHaveBeenCalled();
  });

  it("a fake nursery whose spawn() throws, or starts the keeper already cancelled: rejects, spawning nothing, no listener", async () => {
    const spawn = spySpawn();
    const controller = new AbortController();
    const throwing = { signal: controller.signal, nursery: { spawn: () => { throw new Error("no room"); } } };
    const preCancelled = {
      signal: controller.signal,
      nursery: { spawn: (fn: (keeper: { signal: AbortSignal }) => unknown) => void fn({ signal: AbortSignal.abort("keeper gone") }) },
    };
    for (const [, run] of runners) {
      const a = run(throwing, "sleep", ["60"]) as Promise<unknown> | Subprocess;
      const b = run(preCancelled, "sleep", ["60"]) as Promise<unknown> | Subprocess;
      const settleA = await within("exited" in a ? a.exited : a);
      const settleB = await within("exited" in b ? b.exited : b);
      expect(settleA).toEqual({ state: "rejected", error: new Error("no room") });
      expect(settleB).toEqual({ state: "rejected", error: "keeper gone" });
    }
    expect(spawn).not.toHaveBeenCalled();
    expect(listeners(controller.signal)).toBe(0);
  });

  it("an iteration whose own signal is already aborted rejects with its reason, adds no listener, and leaves the output whole", async () => {
    const proc = track(spawnProcess(tracked.owner(), "sh", ["-c", "echo one; echo two"], { stdin: "ignore" }));
    const signal = AbortSignal.abort("not now");
    const iteration = proc.stdout.lines({ signal });
    expect(listeners(signal)).toBe(0);
    expect(await within(iteration.next())).toEqual({ state: "rejected", error: "not now" });
    expect(await within(iteration.next())).toEqual({ state: "fulfilled", value: { done: true, value: undefined } });
    const lines: string[] = [];
    for await (const line of proc.stdout) lines.push(line);
    expect(lines).toEqual(["one", "two"]);
    expect(await outcome(proc.exited)).toEqual({ state: "fulfilled", value: { exitCode: 0, signal: null } });
  });

  it("a clock that calls back synchronously from setTimer(0): grace 0 escalates inside the cancellation itself", async () => {
    const syncClock: Clock = {
      now: () => 0,
      setTimer: (ms, callback) => {
        if (ms === 0) callback();
        return {};
      },
      clearTimer: () => {},
    };
    const owner = tracked.owner();
    const proc = track(spawnProcess(owner, "sh", ["-c", IGNORES_TERM], { grace: 0, clock: syncClock }));
    expect(await firstLine(proc)).toBe("ready");
    owner.abort("now");
    expect(await outcome(proc.exited)).toEqual({ state: "rejected", error: "now" });
    expect(proc.signalCode).toBe("SIGKILL");
    expect(listeners(owner.signal)).toBe(0);
  });
});

// ------------------------------------------------------------------------------------------------
// Re-entrant calls
// ------------------------------------------------------------------------------------------------

describe("process: re-entrant calls", () => {
  it("aborting the owner from inside a for-await over stdout rejects the loop with the reason and stops the process", async () => {
    const owner = tracked.owner();
    const proc = track(spawnProcess(owner, "sh", ["-c", TWO_LINES]));
    const reason = new Error("from the loop");
    const seen: string[] = [];
    const loop = (async () => {
      for await (const line of proc.stdout) {
        seen.push(line);
        owner.abort(reason);
        owner.abort("again"); // a no-op
      }
    })();
    expect(await outcome(loop)).toEqual({ state: "rejected", error: reason });
    expect(seen).toEqual(["one"]); // "two" may have arrived: it is discarded, not yielded
    expect(await outcome(proc.exited)).toEqual({ state: "rejected", error: reason });
    expect(proc.signalCode).toBe("SIGTERM");
    expect(listeners(owner.signal)).toBe(0);
  });

  it("aborting the iteration's own signal from inside its loop stops only that loop; the next one continues where it stopped", async () => {
    const owner = tracked.owner();
    const proc = track(spawnProcess(owner, "sh", ["-c", TWO_LINES]));
    const stop = new AbortController();
    const first: string[] = [];
    const loop = (async () => {
      for await (const line of proc.stdout.lines({ signal: stop.signal })) {
        first.push(line);
        stop.abort("enough of this loop");
      }
    })();
    expect(await outcome(loop)).toEqual({ state: "rejected", error: "enough of this loop" });
    expect(listeners(stop.signal)).toBe(0);
    const next = proc.stdout.lines();
    expect(await outcome(next.next())).toEqual({ state: "fulfilled", value: { done: false, value: "two" } });
    await next.return?.();
    expect(first).toEqual(["one"]);
    expect(owner.signal.aborted).toBe(false);
    proc.stdin?.end("\n");
    expect(await outcome(proc.exited)).toEqual({ state: "fulfilled", value: { exitCode: 0, signal: null } });
  });

  it("cancelling the nursery from inside a task's for-await over its process: the nursery resolves and the process is gone", async () => {
    let proc!: Subprocess;
    const result = nursery(async (n) => {
      n.spawn(async (task) => {
        proc = track(spawnProcess(task, "sh", ["-c", TWO_LINES]));
        for await (const line of proc.stdout) {
          void line;
          task.nursery.cancel("from the loop");
        }
      });
      return "body";
    });
    expect(await outcome(result)).toEqual({ state: "fulfilled", value: "body" });
    const settled = await within(proc.exited);
    expect(settled.state).toBe("rejected");
    expect((settled as { error: unknown }).error).toBeInstanceOf(CancelledError);
  });

  it("two next() calls pending when the owner aborts: the first rejects with the reason, the second ends; no hang", async () => {
    const owner = tracked.owner();
    const proc = track(spawnProcess(owner, "sh", ["-c", "read x"]));
    const lines = proc.stdout.lines();
    const a = lines.next();
    const b = lines.next();
    owner.abort("stop");
    expect(await within(a)).toEqual({ state: "rejected", error: "stop" });
    expect(await within(b)).toEqual({ state: "fulfilled", value: { done: true, value: undefined } });
    expect(await within(proc.stdout.lines().next())).toEqual({ state: "rejected", error: "stop" }); // unlocked, still rejecting
    expect(await outcome(proc.exited)).toEqual({ state: "rejected", error: "stop" });
  });

  it("exec() and spawnProcess() from inside the owner's own abort listener reject at once and spawn nothing", async () => {
    const owner = new AbortController();
    const inner: Promise<unknown>[] = [];
    let spawn: ReturnType<typeof spySpawn> | undefined;
    owner.signal.addEventListener(
      "abort",
      () => {
        spawn = spySpawn();
        inner.push(exec(owner, "sleep", ["60"]), spawnProcess(owner, "sleep", ["60"]).exited);
      },
      { once: true },
    );
    owner.abort("stop");
    for (const p of inner) expect(await within(p)).toEqual({ state: "rejected", error: "stop" });
    expect(spawn).not.toHaveBeenCalled();
    expect(listeners(owner.signal)).toBe(0);
  });

  it("exited read twice, kill() after exit (any signal, twice), abort after exit: the outcome stays, kill() does nothing", async () => {
    const owner = tracked.owner();
    const proc = track(spawnProcess(owner, "sh", ["-c", "exit 3"], { stdin: "ignore" }));
    const first = proc.exited;
    expect(proc.exited).toBe(first);
    const settled = await outcome(first);
    expect(settled.state).toBe("rejected");
    const err = (settled as { error: ProcessError }).error;
    expect(err).toBeInstanceOf(ProcessError);
    expect(err.exitCode).toBe(3);
    for (const sig of [undefined, "SIGKILL", "SIGTERM", "SIGKILL"] as const) expect(proc.kill(sig)).toBe(false);
    owner.abort("too late");
    expect(await within(proc.exited)).toEqual({ state: "rejected", error: err });
    // Documented, level-triggered: once the owner is cancelled every iteration rejects with its
    // reason, even over the output of a process that already ended.
    expect(await within(proc.stdout.lines().next())).toEqual({ state: "rejected", error: "too late" });
    expect([proc.exitCode, proc.signalCode]).toEqual([3, null]);
    expect(listeners(owner.signal)).toBe(0);
  });

  it("kill() and abort from inside exited's own handler are no-ops", async () => {
    const owner = tracked.owner();
    const proc = track(spawnProcess(owner, "true", [], { stdin: "ignore" }));
    const inside = await outcome(
      proc.exited.then((status) => {
        owner.abort("inside the handler");
        return [status, proc.kill(), proc.kill("SIGKILL")];
      }),
    );
    expect(inside).toEqual({ state: "fulfilled", value: [{ exitCode: 0, signal: null }, false, false] });
    expect(await within(proc.exited)).toEqual({ state: "fulfilled", value: { exitCode: 0, signal: null } });
  });

  it("kill('SIGKILL') and an abort in the same tick: the outcome is the cancellation (the reason), not a ProcessError", async () => {
    const owner = tracked.owner();
    const proc = track(spawnProcess(owner, "sh", ["-c", IGNORES_TERM]));
    expect(await firstLine(proc)).toBe("ready");
    const reason = new Error("cancelled");
    expect(proc.kill("SIGKILL")).toBe(true);
    owner.abort(reason);
    expect(await outcome(proc.exited)).toEqual({ state: "rejected", error: reason });
    expect(proc.signalCode).toBe("SIGKILL");
    expect(proc.kill("SIGKILL")).toBe(false);
  });

  it("kill() after the leader exited still reaches a grandchild holding stdout; exited waits for it, then resolves", async () => {
    const owner = tracked.owner();
    const proc = track(spawnProcess(owner, "sh", ["-c", "sleep 60 & echo $!"], { stdin: "ignore" }));
    const grandchild = Number(await firstLine(proc));
    pids.add(grandchild);
    await waitUntil(() => proc.exitCode === 0, "the shell exited");
    expect((await within(proc.exited, 5)).state).toBe("pending"); // the sleep still holds the pipe
    expect(proc.kill()).toBe(true);
    expect(await outcome(proc.exited)).toEqual({ state: "fulfilled", value: { exitCode: 0, signal: null } });
    expect(proc.kill()).toBe(false);
    // Reparented to PID 1, the grandchild is gone once reaped; this container's PID 1 may leave a zombie.
    await waitUntil(() => !isAlive(grandchild) || procState(grandchild) === "Z", "the grandchild died");
    if (isAlive(grandchild)) pids.delete(grandchild); // dead, but unreaped by a PID 1 that does not reap
  });

  linuxIt("killSignal SIGSTOP: cancelling stops the process instead of ending it; the grace period's SIGKILL ends it", async () => {
    const clock = new VirtualClock();
    const owner = tracked.owner();
    const proc = track(spawnProcess(owner, "sh", ["-c", "echo ready; read x"], { killSignal: "SIGSTOP", grace: 5000, clock }));
    expect(await firstLine(proc)).toBe("ready");
    owner.abort("stop");
    await waitUntil(() => procState(proc.pid as number) === "T", "the process is stopped");
    expect((await within(proc.exited, 5)).state).toBe("pending"); // stopped, not exited: only the grace period can end it
    expect(clock.pending).toBe(1);
    await clock.advance(5000);
    expect(await outcome(proc.exited)).toEqual({ state: "rejected", error: "stop" });
    expect(proc.signalCode).toBe("SIGKILL");
    expect(clock.pending).toBe(0);
    expect(listeners(owner.signal)).toBe(0);
  });

  it("exec() with 4 MB of input to a child that never reads it resolves: the broken pipe is not an error", async () => {
    const result = await outcome(exec(tracked.owner(), "true", [], { input: "x".repeat(4 * 1024 * 1024) }));
    expect(result).toEqual({ state: "fulfilled", value: { stdout: "", stderr: "", exitCode: 0, signal: null } });
  });
});
