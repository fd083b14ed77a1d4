import { describe, it, expect, jest } from "@jest/globals";
import { EventEmitter, once } from "node:events";
import { setTimeout as nodeSleep } from "node:timers/promises";
import {
  nursery,
  moveOnAfter,
  failAfter,
  CancelledError,
  TimeoutError,
  NurseryError,
  NurseryClosedError,
  StartError,
  ShutdownTimeoutError,
  isCancellation,
  type CancelReason,
  type Nursery,
  type TaskContext,
} from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { flush, rejection, settle, sleep, untilAborted } from "./support.js";

type ErrorsModule = typeof import("../src/errors.js");

const samples = (): [string, Error][] => [
  ["CancelledError", new CancelledError({ source: "explicit", nursery: "n" })],
  ["TimeoutError", new TimeoutError(100, "n")],
  ["NurseryError", new NurseryError([new Error("x")], "n")],
  ["NurseryClosedError", new NurseryClosedError("n")],
  ["StartError", new StartError("ERR_NOT_STARTED", "t")],
  ["ShutdownTimeoutError", new ShutdownTimeoutError(1000, [])],
];

const classes: Record<string, Function> = {
  CancelledError,
  TimeoutError,
  NurseryError,
  NurseryClosedError,
  StartError,
  ShutdownTimeoutError,
};

describe("error classes", () => {
  it.each<[string, string, () => Error]>([
    ["CancelledError", "ERR_CANCELLED", () => new CancelledError({ source: "explicit" })],
    ["TimeoutError", "ERR_TIMEOUT", () => new TimeoutError(100)],
    ["NurseryError", "ERR_NURSERY_FAILED", () => new NurseryError([new Error("x")], "n")],
    ["NurseryClosedError", "ERR_NURSERY_CLOSED", () => new NurseryClosedError("n")],
    ["StartError", "ERR_NOT_STARTED", () => new StartError("ERR_NOT_STARTED", "t")],
    ["StartError", "ERR_ALREADY_STARTED", () => new StartError("ERR_ALREADY_STARTED", "t")],
    ["ShutdownTimeoutError", "ERR_SHUTDOWN_TIMEOUT", () => new ShutdownTimeoutError(10, [])],
  ])("names %s and gives it the stable code %s", (name, code, make) => {
    const err = make();
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(name);
    expect((err as unknown as { code: string }).code).toBe(code);
    expect(String(err)).toBe(`${name}: ${err.message}`);
    expect(err.stack).toContain(name);
  });

  it("extends AggregateError for NurseryError and Error for the others, sharing no base class", () => {
    expect(Object.getPrototypeOf(NurseryError.prototype)).toBe(AggregateError.prototype);
    for (const cls of [CancelledError, TimeoutError, NurseryClosedError, StartError, ShutdownTimeoutError]) {
      expect(Object.getPrototypeOf(cls.prototype)).toBe(Error.prototype);
    }
  });

  it("makes each class recognise only its own instances", () => {
    for (const [name, err] of samples()) {
      for (const [other, cls] of Object.entries(classes)) {
        expect([name, other, err instanceof (cls as new () => unknown)]).toEqual([name, other, name === other]);
      }
    }
    expect(new Error("plain") instanceof CancelledError).toBe(false);
    const nothing: unknown = null;
    expect(nothing instanceof CancelledError).toBe(false);
    expect(new DOMException("x", "AbortError") instanceof CancelledError).toBe(false);
  });

  it("makes NurseryError an AggregateError whose message counts the errors and quotes the first", () => {
    const a = new Error("first");
    const b = new Error("second");
    const one = new NurseryError([a], "crawler");
    const two = new NurseryError([a, b], "crawler");
    const notAnError = new NurseryError(["a string"], "crawler");
    expect(one).toBeInstanceOf(AggregateError);
    expect(two.errors).toEqual([a, b]);
    expect(two.nursery).toBe("crawler");
    expect(one.message).toBe('nursery "crawler" failed with 1 error: first');
    expect(two.message).toBe('nursery "crawler" failed with 2 errors: first (and more)');
    expect(notAnError.message).toBe('nursery "crawler" failed with 1 error: a string');
  });

  it("regression: keeps a NurseryError's message short at the top of 2,000 nested failing nurseries, with the outer names and the first error", async () => {
    async function level(t: TaskContext, depth: number): Promise<void> {
      await null;
      if (depth === 2000) throw new Error("bottom 🙂");
      await nursery(t, (n) => {
        n.spawn((child) => level(child, depth + 1));
      }, { name: `level-${depth}` });
    }
    const err = await nursery((n) => {
      n.spawn((t) => level(t, 0));
    }, { name: "top" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NurseryError);
    const { message } = err as NurseryError;
    expect(message.length).toBeLessThan(700);
    expect(message).toMatch(/^nursery "top" failed with 1 error: nursery "level-0" failed with 1 error: nursery "level-1" /);
    expect(message).toMatch(/ … .*nursery "level-1999" failed with 1 error: bottom 🙂$/);
    expect(message).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it("cuts a long first error's message in the middle, never between the halves of a surrogate pair", () => {
    for (const length of [599, 600, 601, 1000]) {
      for (const shift of [0, 1]) {
        const text = "x".repeat(shift) + "🙂".repeat(length);
        const { message } = new NurseryError([new Error(text)], "n");
        const quoted = message.slice('nursery "n" failed with 1 error: '.length);
        if (text.length <= 600) expect(quoted).toBe(text);
        else {
          expect(quoted.length).toBeLessThanOrEqual(603);
          expect(quoted).toMatch(/^x?(🙂)+ … (🙂)+$/u);
        }
      }
    }
  });

  it("gives TimeoutError its deadline, scope and cause", () => {
    const cause = new Error("why");
    const named = new TimeoutError(250, "load-user", { cause });
    expect(named).toMatchObject({ timeout: 250, scope: "load-user", cause, message: '"load-user" timed out after 250 ms' });
    expect(new TimeoutError(5).message).toBe("operation timed out after 5 ms");
    expect(new TimeoutError(5).scope).toBeUndefined();
  });

  it("gives StartError and NurseryClosedError messages that name the task or nursery", () => {
    expect(new StartError("ERR_NOT_STARTED", "server").message).toBe('task "server" returned without calling started()');
    expect(new StartError("ERR_ALREADY_STARTED", "server").message).toBe('task "server" called started() twice');
    expect(new NurseryClosedError("pool").message).toBe('nursery "pool" is closed: it finished, so nothing more can be spawned into it');
  });

  it("lists the stragglers of a ShutdownTimeoutError and counts them in its message", () => {
    const stragglers = [{ path: "main/crawler/worker-3", site: "/app/worker.ts:12:3" }];
    const one = new ShutdownTimeoutError(10_000, stragglers);
    expect(one.stragglers).toEqual(stragglers);
    expect(one.message).toBe("shutdown did not finish within 10000 ms; 1 task was still running");
    expect(new ShutdownTimeoutError(500, [...stragglers, { path: "main/db", site: undefined }]).message).toBe(
      "shutdown did not finish within 500 ms; 2 tasks were still running",
    );
  });
});

describe("CancelledError messages", () => {
  it.each<[string, Partial<CancelReason> & { source: CancelReason["source"] }]>([
    ['cancelled: nursery "crawler" was cancelled', { source: "explicit", nursery: "crawler" }],
    ['cancelled: nursery "crawler" was cancelled: shutting down', { source: "explicit", nursery: "crawler", detail: "shutting down" }],
    ['cancelled: nursery "crawler" was cancelled: user asked', { source: "explicit", nursery: "crawler", detail: new Error("user asked") }],
    ["cancelled: scope was cancelled", { source: "explicit" }],
    ['cancelled: task "fetch-users" was cancelled (nursery "crawler")', { source: "explicit", nursery: "crawler", task: "fetch-users" }],
    ['cancelled: received SIGINT (nursery "main")', { source: "signal", detail: "SIGINT", nursery: "main" }],
    ["cancelled: received SIGTERM", { source: "signal", detail: "SIGTERM" }],
    ['cancelled: deadline of 250 ms passed (nursery "slow")', { source: "deadline", detail: 250, nursery: "slow" }],
    ["cancelled: deadline of 250 ms passed", { source: "deadline", detail: 250 }],
    ['cancelled: sibling task "fetch-users" failed (nursery "crawler")', { source: "sibling-failed", detail: new Error("500"), nursery: "crawler", task: "fetch-users" }],
    ['cancelled: the body of nursery "crawler" failed', { source: "sibling-failed", detail: new Error("500"), nursery: "crawler" }],
    ['cancelled: parent was cancelled (nursery "api"): request closed', { source: "parent", detail: "request closed", nursery: "api" }],
    ['cancelled: parent was cancelled (nursery "api")', { source: "parent", nursery: "api" }],
  ])("reads %s", (message, reason) => {
    const err = new CancelledError(reason);
    expect(err.message).toBe(message);
    expect(err.reason).toEqual({ source: reason.source, detail: reason.detail, nursery: reason.nursery, task: reason.task });
  });
});

describe("CancelledError provenance (reason.source)", () => {
  /** Runs `setup` in a nursery named "crawler" and returns what its first child's signal aborted with. */
  async function reasonSeenBy(
    setup: (n: import("@nursery/core").Nursery, clock: VirtualClock) => void | Promise<void>,
    options: { signal?: AbortSignal; timeout?: number } = {},
  ): Promise<CancelledError> {
    const clock = new VirtualClock({ autojump: true });
    let seen: unknown;
    await settle(
      nursery(
        async (n) => {
          n.spawn(async (task) => {
            await untilAborted(task.signal).catch(() => {});
            seen = task.signal.reason;
          }, { name: "watcher" });
          await setup(n, clock);
          throw new Error("the body fails last");
        },
        { name: "crawler", clock, ...options },
      ),
    );
    expect(seen).toBeInstanceOf(CancelledError);
    return seen as CancelledError;
  }

  it('is "explicit" for Nursery.cancel(), with the argument as detail', async () => {
    const seen = await reasonSeenBy((n) => n.cancel("enough"));
    expect(seen.reason).toEqual({ source: "explicit", detail: "enough", nursery: "crawler", task: undefined });
  });

  it('is "explicit" for Task.cancel(), naming the task', async () => {
    let seen: unknown;
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        await untilAborted(task.signal).catch(() => {});
        seen = task.signal.reason;
      }, { name: "victim" });
      t.cancel(42);
    }, { name: "crawler" });
    expect((seen as CancelledError).reason).toEqual({ source: "explicit", detail: 42, nursery: "crawler", task: "victim" });
  });

  it('is "deadline" for a nursery timeout, with the ms as detail', async () => {
    const seen = await reasonSeenBy(async (n) => {
      await untilAborted(n.signal).catch(() => {});
    }, { timeout: 300 });
    expect(seen.reason).toEqual({ source: "deadline", detail: 300, nursery: "crawler", task: undefined });
  });

  it('is "deadline" for moveOnAfter and failAfter', async () => {
    const clock = new VirtualClock({ autojump: true });
    const seen: unknown[] = [];
    await moveOnAfter(10, (signal) => untilAborted(signal).catch(() => seen.push(signal.reason)).then(() => sleep(clock, 1)), { clock });
    await failAfter(20, (signal) => untilAborted(signal).catch(() => seen.push(signal.reason)).then(() => sleep(clock, 1)), { clock, name: "f" })
      .catch(() => {});
    expect(seen.map((r) => (r as CancelledError).reason)).toEqual([
      { source: "deadline", detail: 10, nursery: undefined, task: undefined },
      { source: "deadline", detail: 20, nursery: "f", task: undefined },
    ]);
  });

  it('is "sibling-failed" for a failing child, naming it, with its error as detail', async () => {
    const boom = new Error("HTTP 500");
    const seen = await reasonSeenBy((n) => {
      n.spawn(async () => {
        await null;
        throw boom;
      }, { name: "fetch-users" });
      return untilAborted(n.signal).catch(() => {});
    });
    expect(seen.reason).toEqual({ source: "sibling-failed", detail: boom, nursery: "crawler", task: "fetch-users" });
    expect(seen.message).toBe('cancelled: sibling task "fetch-users" failed (nursery "crawler")');
  });

  it('is "sibling-failed" without a task for a failing body', async () => {
    const seen = await reasonSeenBy(async () => {
      await null;
    });
    expect(seen.reason).toMatchObject({ source: "sibling-failed", nursery: "crawler", task: undefined });
    expect((seen.reason.detail as Error).message).toBe("the body fails last");
    expect(seen.message).toBe('cancelled: the body of nursery "crawler" failed');
  });

  it('is "parent" for an outside AbortSignal, with its reason as detail', async () => {
    const outside = new AbortController();
    const seen = await reasonSeenBy(async (n) => {
      outside.abort("client gone");
      await untilAborted(n.signal).catch(() => {});
    }, { signal: outside.signal });
    expect(seen.reason).toEqual({ source: "parent", detail: "client gone", nursery: "crawler", task: undefined });
  });

  it('is "parent" for a scope whose outer signal is a plain AbortSignal', async () => {
    const outer = new AbortController();
    let seen: unknown;
    const done = moveOnAfter(100, (signal) => untilAborted(signal).catch(() => { seen = signal.reason; }), {
      signal: outer.signal,
      clock: new VirtualClock(),
      name: "scope",
    });
    outer.abort(new Error("gone"));
    await done;
    expect((seen as CancelledError).reason).toMatchObject({ source: "parent", nursery: "scope" });
    expect((seen as CancelledError).message).toBe('cancelled: parent was cancelled (nursery "scope"): gone');
  });
});

describe("isCancellation", () => {
  it("is true for this library's CancelledError", () => {
    expect(isCancellation(new CancelledError({ source: "explicit" }))).toBe(true);
  });

  it("is true for the DOMException AbortError that abort() produces", () => {
    const controller = new AbortController();
    controller.abort();
    expect((controller.signal.reason as DOMException).name).toBe("AbortError");
    expect(isCancellation(controller.signal.reason)).toBe(true);
    expect(isCancellation(AbortSignal.abort().reason)).toBe(true);
  });

  it("is true for a DOMException TimeoutError (what AbortSignal.timeout() produces)", () => {
    expect(isCancellation(new DOMException("The operation timed out.", "TimeoutError"))).toBe(true);
  });

  it("is true for Node's AbortError from timers/promises and events, which carry the reason as cause", async () => {
    const controller = new AbortController();
    const reason = new CancelledError({ source: "explicit" });
    controller.abort(reason);
    const fromTimer = await rejection(nodeSleep(1e9, undefined, { signal: controller.signal }));
    const fromEvents = await rejection(once(new EventEmitter(), "never", { signal: controller.signal }));
    for (const err of [fromTimer, fromEvents]) {
      expect(err).toMatchObject({ name: "AbortError", code: "ABORT_ERR" });
      expect((err as Error).cause).toBe(reason);
      expect(isCancellation(err)).toBe(true);
    }
  });

  it.each<[string, unknown]>([
    ["our TimeoutError (a verdict, not a cancellation)", new TimeoutError(100, "x")],
    ["NurseryError", new NurseryError([new CancelledError({ source: "explicit" })], "n")],
    ["NurseryClosedError", new NurseryClosedError("n")],
    ["StartError", new StartError("ERR_NOT_STARTED", "t")],
    ["ShutdownTimeoutError", new ShutdownTimeoutError(1, [])],
    ["a plain Error", new Error("AbortError")],
    ["a non-DOMException error named TimeoutError", Object.assign(new Error("slow"), { name: "TimeoutError" })],
    ["a TypeError", new TypeError("bad")],
    ["undefined", undefined],
    ["null", null],
    ['the string "AbortError"', "AbortError"],
  ])("is false for %s", (_label, value) => {
    expect(isCancellation(value)).toBe(false);
  });
});

describe("instanceof across two copies of the package", () => {
  function loadSecondCopy<M>(path: string): M {
    let copy!: M;
    jest.isolateModules(() => {
      copy = require(path) as M;
    });
    return copy;
  }

  it("recognises errors made by another copy of errors.ts, in both directions", () => {
    const other = loadSecondCopy<ErrorsModule>("../src/errors.js");
    expect(other.CancelledError).not.toBe(CancelledError);

    const made: [string, Error, Error][] = [
      ["CancelledError", new other.CancelledError({ source: "explicit" }), new CancelledError({ source: "explicit" })],
      ["TimeoutError", new other.TimeoutError(1), new TimeoutError(1)],
      ["NurseryError", new other.NurseryError([], "n"), new NurseryError([], "n")],
      ["NurseryClosedError", new other.NurseryClosedError("n"), new NurseryClosedError("n")],
      ["StartError", new other.StartError("ERR_ALREADY_STARTED", "t"), new StartError("ERR_ALREADY_STARTED", "t")],
      ["ShutdownTimeoutError", new other.ShutdownTimeoutError(1, []), new ShutdownTimeoutError(1, [])],
    ];
    for (const [name, theirs, ours] of made) {
      const ourClass = classes[name] as new () => unknown;
      const theirClass = (other as unknown as Record<string, new () => unknown>)[name] as new () => unknown;
      expect([name, Object.getPrototypeOf(theirs) === ourClass.prototype]).toEqual([name, false]);
      expect([name, theirs instanceof ourClass, ours instanceof theirClass]).toEqual([name, true, true]);
      // and a brand never matches another class
      expect([name, theirs instanceof (name === "CancelledError" ? TimeoutError : CancelledError)]).toEqual([name, false]);
    }
    expect(isCancellation(new other.CancelledError({ source: "explicit" }))).toBe(true);
    expect(other.isCancellation(new CancelledError({ source: "explicit" }))).toBe(true);
    expect(isCancellation(new other.TimeoutError(1))).toBe(false);
  });

  it("lets code using one copy catch the errors of a nursery from another copy", async () => {
    const other = loadSecondCopy<typeof import("../src/index.js")>("../src/index.js");
    expect(other.nursery).not.toBe(nursery);

    const failed = await rejection(
      other.nursery((n) => {
        n.spawn(() => {
          throw new Error("in the other copy");
        });
      }),
    );
    expect(failed).toBeInstanceOf(NurseryError);

    const outside = new AbortController();
    const cancelled = await rejection(
      other.nursery(async (n) => {
        outside.abort();
        await untilAborted(n.signal);
      }, { signal: outside.signal }),
    );
    expect(cancelled).toBeInstanceOf(CancelledError);
    expect(isCancellation(cancelled)).toBe(true);

    const timedOut = await rejection(other.failAfter(0, (signal) => untilAborted(signal), { clock: new VirtualClock({ autojump: true }) }));
    expect(timedOut).toBeInstanceOf(TimeoutError);
  });
});

describe("error graphs", () => {
  /** The edges an error graph is walked along: `errors` (AggregateError), `cause`, `reason.detail` (CancelledError). */
  function edgesOf(value: object): [string, unknown][] {
    const edges: [string, unknown][] = [];
    if (value instanceof AggregateError) (value.errors as unknown[]).forEach((e, i) => edges.push([`errors[${i}]`, e]));
    if ("cause" in value) edges.push(["cause", value.cause]);
    if (value instanceof CancelledError) edges.push(["reason.detail", value.reason.detail]);
    return edges;
  }

  /**
   * Walks the graph from `root` depth-first. `cycle` names the first path that comes back to an
   * object still on the current path; an object reached twice by different paths (shared, not a
   * cycle) is walked once. `seen` holds every object reached, so a test can check the walk went
   * where it expected.
   */
  function walkErrors(root: unknown): { cycle: string | undefined; seen: Set<object> } {
    const seen = new Set<object>();
    const path: object[] = [];
    const names: string[] = [];
    const visit = (value: unknown, name: string): string | undefined => {
      if (typeof value !== "object" || value === null) return undefined;
      const at = path.indexOf(value);
      if (at >= 0) return `${[...names, name].join(" -> ")} (back to ${names.slice(0, at + 1).join(" -> ")})`;
      if (seen.has(value)) return undefined;
      seen.add(value);
      path.push(value);
      names.push(name);
      for (const [edge, next] of edgesOf(value)) {
        const cycle = visit(next, edge);
        if (cycle !== undefined) return cycle;
      }
      path.pop();
      names.pop();
      return undefined;
    };
    return { cycle: visit(root, "root"), seen };
  }

  it("finds a cycle through errors, cause or reason.detail, and none where a branch is only shared", () => {
    const selfCause = new Error("self");
    selfCause.cause = selfCause;
    const member = new Error("member");
    const aggregate = new AggregateError([member]);
    member.cause = aggregate;
    const detail = new Error("detail");
    const cancelled = new CancelledError({ source: "explicit", detail });
    detail.cause = cancelled;
    expect(walkErrors(selfCause).cycle).toBe("root -> cause (back to root)");
    expect(walkErrors(aggregate).cycle).toBe("root -> errors[0] -> cause (back to root)");
    expect(walkErrors(cancelled).cycle).toBe("root -> reason.detail -> cause (back to root)");

    const shared = new Error("shared");
    const dag = new AggregateError([shared, new Error("other", { cause: shared })], "dag", { cause: shared });
    expect(walkErrors(dag)).toEqual({ cycle: undefined, seen: new Set([dag, shared, (dag.errors as unknown[])[1]]) });
  });

  it("builds a NurseryError without cycles when a child of a nested nursery fails during cancellation, and drops every child once settled", async () => {
    const boom = new Error("first failure");
    const nurseries: Nursery[] = [];
    let cleanupError: unknown;
    const err = await rejection(
      nursery(
        async (n) => {
          nurseries.push(n);
          n.spawn(async (task) => {
            await nursery(
              async (inner) => {
                nurseries.push(inner);
                inner.spawn(async (t) => {
                  await untilAborted(t.signal).catch(() => {});
                  cleanupError = new Error("cleanup failed");
                  throw cleanupError;
                }, { name: "closer" });
              },
              { signal: task.signal, name: "inner" },
            );
          }, { name: "host" });
          await flush(1);
          n.spawn(() => {
            throw boom;
          }, { name: "failing" });
        },
        { name: "outer" },
      ),
    );
    expect(err).toBeInstanceOf(NurseryError);
    const [first, innerError] = (err as NurseryError).errors as [unknown, NurseryError];
    expect(first).toBe(boom);
    expect(innerError).toBeInstanceOf(NurseryError);
    expect(innerError.errors).toEqual([cleanupError]);

    const { cycle, seen } = walkErrors(err);
    expect(cycle).toBeUndefined();
    expect(seen).toEqual(new Set([err, boom, innerError, cleanupError]));
    expect(nurseries.map((n) => n.children.map((t) => t.name))).toEqual([[], []]);
  });

  it("builds a failAfter TimeoutError without cycles, its cause being the deadline's CancelledError", async () => {
    const clock = new VirtualClock();
    const done = rejection(failAfter(50, (signal) => untilAborted(signal), { clock, name: "load" }));
    await clock.advance(50);
    const err = await done;
    expect(err).toBeInstanceOf(TimeoutError);
    const cause = (err as TimeoutError).cause;
    expect(cause).toBeInstanceOf(CancelledError);
    expect((cause as CancelledError).reason).toMatchObject({ source: "deadline", detail: 50, nursery: "load" });

    const { cycle, seen } = walkErrors(err);
    expect(cycle).toBeUndefined();
    expect(seen).toEqual(new Set([err, cause]));
  });

  it("builds a NurseryError without cycles when its own TimeoutError is the cause, and drops every child once settled", async () => {
    const clock = new VirtualClock();
    let n!: Nursery;
    let cleanupError: unknown;
    const done = rejection(
      nursery(
        async (self) => {
          n = self;
          self.spawn(async (task) => {
            await untilAborted(task.signal).catch(() => {});
            cleanupError = new Error("cleanup failed");
            throw cleanupError;
          });
        },
        { clock, timeout: 100, name: "job" },
      ),
    );
    await clock.advance(100);
    const err = await done;
    expect(err).toBeInstanceOf(NurseryError);
    expect((err as NurseryError).errors).toEqual([cleanupError]);
    const timedOut = (err as NurseryError).cause;
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect(timedOut).toMatchObject({ timeout: 100, scope: "job" });

    const { cycle, seen } = walkErrors(err);
    expect(cycle).toBeUndefined();
    expect(seen).toEqual(new Set([err, cleanupError, timedOut]));
    expect(n.children.map((t) => t.name)).toEqual([]);
  });

  it("passes a CancelledError down through nested nurseries without creating cycles", async () => {
    const outside = new AbortController();
    const why = new Error("client gone");
    const rejections: unknown[] = [];
    rejections.push(
      await rejection(
        nursery(
          async (n) => {
            n.spawn(async (task) => {
              rejections.push(
                await rejection(
                  nursery(
                    async (middle) => {
                      middle.spawn(async (t) => {
                        rejections.push(
                          await rejection(nursery(async (inner) => void inner.spawn((u) => untilAborted(u.signal)), { signal: t.signal })),
                        );
                      });
                    },
                    { signal: task.signal },
                  ),
                ),
              );
            });
            await flush(1);
            outside.abort(why);
          },
          { signal: outside.signal, name: "server" },
        ),
      ),
    );
    expect(rejections).toHaveLength(3);
    const reason = rejections[0] as CancelledError;
    expect(reason).toBeInstanceOf(CancelledError);
    expect(reason.reason).toMatchObject({ source: "parent", detail: why, nursery: "server" });
    for (const r of rejections) expect(r).toBe(reason);

    const { cycle, seen } = walkErrors(reason);
    expect(cycle).toBeUndefined();
    expect(seen).toEqual(new Set([reason, why]));
  });
});
