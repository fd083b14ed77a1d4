// Issue 17: nurseries, scopes and start() opened from a parent given as the first argument
// (docs/design/decisions/core-structural-nesting.md).
import { describe, expect, it } from "@jest/globals";
import {
  CancelledError,
  TimeoutError,
  checkpoint,
  failAfter,
  moveOnAfter,
  nursery,
  openNursery,
  shield,
  type ScopeContext,
} from "@nursery/core";
import { dumpTree } from "@nursery/core/debug";
import { VirtualClock } from "@nursery/core/testing";
import { deferred, untilAborted } from "./support.js";

/** Resolves when `source` is cancelled, without reading a task's `signal`. */
function untilCancelled(source: { readonly signal: AbortSignal }): Promise<void> {
  return untilAborted(source.signal).then(() => undefined, () => undefined);
}

describe("nursery(parent, body)", () => {
  it("is cancelled with its task, newest first: the inner nursery's children before the task's older sibling", async () => {
    const log: string[] = [];
    const ready = deferred<void>();
    await nursery(async (n) => {
      n.spawn(async (task) => {
        await untilCancelled(task);
        log.push("older sibling");
      });
      n.spawn(async (task) => {
        await nursery(task, async (inner) => {
          inner.spawn(async (child) => {
            ready.resolve();
            await untilCancelled(child);
            log.push("inner child");
          });
        });
      });
      await ready.promise;
      n.cancel();
    });
    expect(log).toEqual(["inner child", "older sibling"]);
  });

  it("rejects with the task's CancelledError, by identity, when the task is cancelled", async () => {
    let inner: unknown;
    let reason: unknown;
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        try {
          await nursery(task, async (m) => {
            await untilCancelled(m);
          });
        } catch (err) {
          inner = err;
          reason = task.signal.reason;
          throw err;
        }
      });
      await Promise.resolve();
      t.cancel("stop");
    });
    expect(inner).toBeInstanceOf(CancelledError);
    expect(inner).toBe(reason);
  });

  it("is listed under its task in the task tree, and removed from it when it settles", async () => {
    const inside = deferred<void>();
    const release = deferred<void>();
    let tree = "";
    await nursery(async (n) => {
      n.spawn(
        async (task) => {
          await nursery(task, async (m) => {
            m.spawn(() => release.promise, { name: "stuck" });
            inside.resolve();
          }, { name: "inner" });
        },
        { name: "handler" },
      );
      await inside.promise;
      tree = dumpTree(n);
      release.resolve();
    }, { name: "root" });
    expect(tree).toMatch(/handler \[running[^\n]*\n\s+└─ inner \(nursery\)\n\s+└─ stuck \[running/);
  });

  it("starts already cancelled under a cancelled parent, and follows a plain AbortSignal too", async () => {
    const controller = new AbortController();
    controller.abort("gone");
    const err = await nursery(controller.signal, (m) => m.signal.aborted).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).reason).toMatchObject({ source: "parent", detail: "gone" });
  });

  it("throws the house TypeError for a parent that cannot be cancelled", () => {
    expect(() => nursery({} as never, () => 1)).toThrow(
      new TypeError("Expected `parent` to be a task, a scope context or an AbortSignal, got `[object Object]` (object)"),
    );
  });
});

describe("scopes opened from a parent", () => {
  it("hand fn a scope context on the task's clock whose deadline cancels what is opened under it", async () => {
    const clock = new VirtualClock();
    let scopeSeen: ScopeContext | undefined;
    let innerError: unknown;
    const result = await nursery(async (n) => {
      const t = n.spawn((task) =>
        moveOnAfter(task, 1_000, async (scope) => {
          scopeSeen = scope;
          await nursery(scope, async (m) => {
            await untilCancelled(m);
          }).catch((e: unknown) => {
            innerError = e;
            throw e;
          });
          return "not reached";
        }, { name: "refresh" }),
      );
      await clock.advance(1_000);
      return t;
    }, { clock });
    expect(result).toBeUndefined();
    expect(scopeSeen).toMatchObject({ name: "refresh", clock, state: "cancelled" });
    expect(scopeSeen?.task?.name).toBe("task-1");
    expect(innerError).toBeInstanceOf(CancelledError);
  });

  it("failAfter(task, ...) rejects with TimeoutError on its deadline and with the task's cancellation otherwise", async () => {
    const clock = new VirtualClock();
    await nursery(async (n) => {
      const timedOut = n.spawn((task) => failAfter(task, 10, (scope) => untilAborted(scope.signal)).catch((e: unknown) => e));
      const cancelled = n.spawn((task) => failAfter(task, 1_000, (scope) => untilAborted(scope.signal)));
      const a = timedOut;
      const b = cancelled.then(() => "resolved", (e: unknown) => e);
      await clock.advance(10);
      expect(await a).toBeInstanceOf(TimeoutError);
      cancelled.cancel();
      expect(await b).toBeInstanceOf(CancelledError);
    }, { clock });
  });

  it("shield(task, fn) ignores its task's cancellation but still honours its own timeout", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const release = deferred<void>();
    await nursery(async (n) => {
      const t = n.spawn((task) =>
        shield(task, async (scope) => {
          await release.promise;
          log.push(`shielded, aborted=${scope.signal.aborted}`);
        }),
      );
      await Promise.resolve();
      t.cancel();
      release.resolve();
      await t.then(undefined, () => undefined);
    }, { clock });
    expect(log).toEqual(["shielded, aborted=false"]);
  });

  it("checkpoint(task) throws the task's cancellation", async () => {
    let seen: unknown;
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        await checkpoint(task);
        task.cancel();
        try {
          await checkpoint(task);
        } catch (err) {
          seen = err;
          throw err;
        }
      });
      await t.then(undefined, () => undefined);
    });
    expect(seen).toBeInstanceOf(CancelledError);
  });
});

describe("n.start(caller, fn)", () => {
  it("follows the calling task until started(): the caller's cancellation rejects start() with it", async () => {
    let rejection: unknown;
    await nursery(async (n) => {
      const caller = n.spawn(async (task) => {
        try {
          await n.start(task, (child) => untilAborted(child.signal));
        } catch (err) {
          rejection = err;
          throw err;
        }
      });
      await Promise.resolve();
      caller.cancel("stop");
    });
    expect(rejection).toBeInstanceOf(CancelledError);
  });

  it("resolves with the started value and then belongs to the nursery alone", async () => {
    const value = await nursery(async (n) => {
      const port = await nursery(async (m) => {
        const t = m.spawn((task) => n.start<number>(task, (child) => child.started(8080)));
        return t;
      });
      n.cancel();
      return port;
    });
    expect(value).toBe(8080);
  });
});

describe("openNursery(parent, options?)", () => {
  it("is the task's child: listed under it, cancelled with it, children newest first", async () => {
    const log: string[] = [];
    const inside = deferred<void>();
    let tree = "";
    await nursery(async (n) => {
      const handler = n.spawn(async (task) => {
        await using m = openNursery(task, { name: "inner" });
        m.spawn(async (t) => {
          await untilCancelled(t);
          log.push("older");
        });
        m.spawn(async (t) => {
          await untilCancelled(t);
          log.push("newer");
        }, { name: "stuck" });
        inside.resolve();
      }, { name: "handler" });
      await inside.promise;
      tree = dumpTree(n);
      handler.cancel();
    }, { name: "root" });
    expect(tree).toMatch(/handler \[running[^\n]*\n\s+└─ inner \(nursery\)/);
    expect(log).toEqual(["newer", "older"]);
  });

  it("keeps the options form: one object with a `signal` is the options, and a bad parent is named", async () => {
    const controller = new AbortController();
    const n = openNursery({ signal: controller.signal, name: "opts" });
    expect(n.name).toBe("opts");
    controller.abort("gone");
    expect(n.cancelRequested).toBe(true);
    await expect(n[Symbol.asyncDispose]()).rejects.toBeInstanceOf(CancelledError);
    const under = openNursery(controller.signal, { name: "under" });
    expect(under.cancelRequested).toBe(true);
    await expect(under[Symbol.asyncDispose]()).rejects.toBeInstanceOf(CancelledError);
    expect(() => openNursery({} as never, { name: "x" })).toThrow(
      new TypeError("Expected `parent` to be a task, a scope context or an AbortSignal, got `[object Object]` (object)"),
    );
  });
});
