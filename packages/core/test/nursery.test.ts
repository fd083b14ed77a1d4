import { describe, it, expect, jest, afterEach } from "@jest/globals";
import { getEventListeners } from "node:events";
import { setTimeout as nodeSleep } from "node:timers/promises";
import {
  nursery,
  openNursery,
  CancelledError,
  NurseryClosedError,
  NurseryError,
  TimeoutError,
  isCancellation,
  type Nursery,
  type Task,
  type TaskContext,
} from "@nursery/core";
import { checkpoint, onCancel } from "@nursery/core";
import { VirtualClock, expectSequence } from "@nursery/core/testing";
import { collectUnhandledRejections, deferred, flush, rejection, settle, sleep, untilAborted } from "./support.js";

const listeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

/**
 * A child that waits for its cancellation, then spends `cleanupMs` of virtual time in cleanup.
 * Logs `abort:<name>@<time>` when its signal aborts and `done:<name>@<time>` when cleanup ends.
 */
function worker(log: string[], name: string, clock: VirtualClock, cleanupMs = 10) {
  return async (task: TaskContext): Promise<void> => {
    task.signal.addEventListener("abort", () => log.push(`abort:${name}@${clock.now()}`));
    try {
      await untilAborted(task.signal);
    } finally {
      await sleep(clock, cleanupMs);
      log.push(`done:${name}@${clock.now()}`);
    }
  };
}

/** The body's half of the log: `abort:body@<time>` when the nursery's own signal aborts. */
function watchBody(log: string[], n: Nursery, clock: VirtualClock): void {
  n.signal.addEventListener("abort", () => log.push(`abort:body@${clock.now()}`));
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe("nursery lifetime", () => {
  it("resolves with the body's value only after every child settled", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const done = nursery(
      (n) => {
        n.spawn(async () => {
          await sleep(clock, 10);
          log.push("a done");
        });
        n.spawn(async () => {
          await sleep(clock, 20);
          log.push("b done");
        });
        return 42;
      },
      { clock },
    ).then((value) => log.push(`nursery resolved ${value}`));

    await clock.advance(15);
    expect(log).toEqual(["a done"]);
    await clock.advance(5);
    await done;
    expect(log).toEqual(["a done", "b done", "nursery resolved 42"]);
  });

  it("settles only after every child finished its cleanup when the body throws", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const done = nursery(
      (n) => {
        n.spawn(worker(log, "a", clock, 30));
        throw new Error("body broke");
      },
      { clock },
    ).catch((err: unknown) => log.push(`rejected: ${(err as Error).message}`));

    await clock.advance(29);
    expect(log).toEqual(["abort:a@0"]);
    await clock.advance(1);
    await done;
    expect(log).toEqual(["abort:a@0", "done:a@30", 'rejected: nursery "nursery" failed with 1 error: body broke']);
  });

  it("settles only after every child finished its cleanup when cancelled", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    let n!: Nursery;
    const done = nursery(
      (nn) => {
        n = nn;
        nn.spawn(worker(log, "a", clock, 30));
      },
      { clock },
    ).then(() => log.push("resolved"));
    await flush();
    n.cancel();
    await clock.advance(29);
    expect(log).toEqual(["abort:a@0"]);
    await clock.advance(1);
    await done;
    expect(log).toEqual(["abort:a@0", "done:a@30", "resolved"]);
  });

  it("runs a spawned function synchronously up to its first await", async () => {
    const log: string[] = [];
    await nursery(async (n) => {
      n.spawn(async () => {
        log.push("child started");
        await null;
        log.push("child resumed");
      });
      log.push("spawn returned");
    });
    expect(log).toEqual(["child started", "spawn returned", "child resumed"]);
  });

  it("lets a child spawn siblings, even after the body returned, and waits for them", async () => {
    const clock = new VirtualClock({ autojump: true });
    const log: string[] = [];
    await nursery(
      (n) => {
        n.spawn(async (task) => {
          await sleep(clock, 10);
          task.nursery.spawn(async () => {
            await sleep(clock, 10);
            log.push(`sibling done@${clock.now()}`);
          });
          log.push(`parent child done@${clock.now()}`);
        });
        log.push("body returned");
      },
      { clock },
    );
    expect(log).toEqual(["body returned", "parent child done@10", "sibling done@20"]);
  });

  it("throws NurseryClosedError from spawn() and start() once it finished", async () => {
    let captured!: Nursery;
    await nursery((n) => {
      captured = n;
    }, { name: "done-one" });
    const spawned = jest.fn();
    expect(() => captured.spawn(spawned)).toThrow(NurseryClosedError);
    expect(() => captured.start(spawned)).toThrow(NurseryClosedError);
    expect(spawned).not.toHaveBeenCalled();
    let err: unknown;
    try {
      captured.spawn(spawned);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      name: "NurseryClosedError",
      code: "ERR_NURSERY_CLOSED",
      message: 'nursery "done-one" is closed: it finished, so nothing more can be spawned into it',
    });
  });

  it("starts a child spawned into a cancelled nursery already cancelled, with the nursery's reason", async () => {
    const seen: { aborted: boolean; reason: unknown }[] = [];
    let first!: Task<unknown>;
    await nursery((n) => {
      first = n.spawn((task) => untilAborted(task.signal));
      n.cancel("stop");
      n.spawn((task) => {
        seen.push({ aborted: task.signal.aborted, reason: task.signal.reason });
      });
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.aborted).toBe(true);
    expect(seen[0]?.reason).toBeInstanceOf(CancelledError);
    expect(seen[0]?.reason).toBe(await rejection(first));
  });

  it("lists live children oldest first and drops each one as it settles", async () => {
    const gates = [deferred(), deferred(), deferred()];
    await nursery(async (n) => {
      const tasks = gates.map((gate, i) => n.spawn(() => gate.promise, { name: `t${i}` }));
      expect(n.children).toEqual(tasks);
      expect(n.children.map((t) => t.name)).toEqual(["t0", "t1", "t2"]);
      gates[1]?.resolve();
      await tasks[1];
      expect(n.children.map((t) => t.name)).toEqual(["t0", "t2"]);
      gates[0]?.resolve();
      gates[2]?.resolve();
      await Promise.all(tasks);
      expect(n.children).toEqual([]);
    });
  });

  it("names itself and its tasks: the option, else the function's name, else task-<n>", async () => {
    const names: string[] = [];
    const clock = new VirtualClock();
    await nursery(
      (n) => {
        expect(n.name).toBe("crawler");
        expect(n.clock).toBe(clock);
        n.spawn((t) => {
          names.push(t.name);
          expect(t.nursery).toBe(n);
          expect(t.clock).toBe(clock);
        }, { name: "given" });
        n.spawn(function fetchUsers(t) {
          names.push(t.name);
        });
        n.spawn((t) => {
          names.push(t.name);
        });
      },
      { name: "crawler", clock },
    );
    await nursery((n) => {
      expect(n.name).toBe("nursery");
    });
    expect(names).toEqual(["given", "fetchUsers", "task-3"]);
  });

  it("resolves with the value of a synchronous body and rejects when it throws synchronously", async () => {
    await expect(nursery(() => "sync")).resolves.toBe("sync");
    const err = await rejection(
      nursery(() => {
        throw new Error("sync throw");
      }),
    );
    expect(err).toBeInstanceOf(NurseryError);
    expect((err as NurseryError).errors).toEqual([new Error("sync throw")]);
  });
});

describe("nursery cancellation order", () => {
  type Outcome = "resolves" | "CancelledError" | "TimeoutError" | "NurseryError";
  const triggers: [string, Outcome, { timeout?: number }, (n: Nursery, clock: VirtualClock, outside: AbortController) => Promise<void>][] = [
    ["cancel()", "resolves", {}, async (n, clock) => {
      await sleep(clock, 5);
      n.cancel();
    }],
    ["the outside signal", "CancelledError", {}, async (_n, clock, outside) => {
      await sleep(clock, 5);
      outside.abort();
    }],
    ["a failing child", "NurseryError", {}, async (n, clock) => {
      // Spawned last here but dies at t=5, so the three workers are still cancelled newest-first.
      n.spawn(async () => {
        await sleep(clock, 5);
        throw new Error("child broke");
      });
    }],
    ["its timeout", "TimeoutError", { timeout: 5 }, async () => {}],
  ];

  it.each(triggers)("cancels children newest-first, each after the previous settled, then the body, on %s", async (_label, outcome, options, trigger) => {
    const clock = new VirtualClock();
    const outside = new AbortController();
    const log: string[] = [];
    const done = settle(
      nursery(
        async (n) => {
          watchBody(log, n, clock);
          n.spawn(worker(log, "a", clock), { name: "a" });
          n.spawn(worker(log, "b", clock), { name: "b" });
          n.spawn(worker(log, "c", clock), { name: "c" });
          await trigger(n, clock, outside);
          await untilAborted(n.signal);
        },
        { clock, signal: outside.signal, ...options },
      ),
    );
    await clock.runAll();
    const result = await done;

    expect(log).toEqual(["abort:c@5", "done:c@15", "abort:b@15", "done:b@25", "abort:a@25", "done:a@35", "abort:body@35"]);
    if (outcome === "resolves") expect(result).toEqual({ ok: true, value: undefined });
    else {
      expect(result.ok).toBe(false);
      const errorClass = { CancelledError, TimeoutError, NurseryError }[outcome];
      expect(result.ok === false && result.error).toBeInstanceOf(errorClass);
    }
    expect(clock.pending).toBe(0);
  });

  it("cancels children newest-first when the body throws", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const done = settle(
      nursery(
        async (n) => {
          n.spawn(worker(log, "a", clock));
          n.spawn(worker(log, "b", clock));
          n.spawn(worker(log, "c", clock));
          await sleep(clock, 5);
          throw new Error("body broke");
        },
        { clock },
      ),
    );
    await clock.runAll();
    expect((await done).ok).toBe(false);
    expect(log).toEqual(["abort:c@5", "done:c@15", "abort:b@15", "done:b@25", "abort:a@25", "done:a@35"]);
  });

  it("aborts each child's signal only when its turn comes, and the body's after every child", async () => {
    const clock = new VirtualClock({ autojump: true });
    const states: string[] = [];
    await nursery(
      (n) => {
        const signals: AbortSignal[] = [];
        for (const name of ["a", "b", "c"]) {
          n.spawn(async (task) => {
            signals.push(task.signal);
            await untilAborted(task.signal).catch(() => {});
            states.push(`${name}: ${signals.map((s) => (s.aborted ? "x" : "-")).join("")} body ${n.signal.aborted ? "x" : "-"}`);
          });
        }
        n.cancel();
      },
      { clock },
    );
    expect(states).toEqual(["c: --x body -", "b: -xx body -", "a: xxx body -"]);
  });

  it("moves on to the next older child when childGrace passes, and still waits for the straggler", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const straggler = deferred();
    let resolved = false;
    const done = nursery(
      (n) => {
        watchBody(log, n, clock);
        n.spawn(worker(log, "a", clock));
        n.spawn(worker(log, "b", clock));
        n.spawn(async (task) => {
          task.signal.addEventListener("abort", () => log.push(`abort:stubborn@${clock.now()}`));
          await straggler.promise; // ignores its signal
          log.push(`done:stubborn@${clock.now()}`);
        });
        n.cancel();
      },
      { clock, childGrace: 100 },
    ).then(() => {
      resolved = true;
    });

    await clock.advance(99);
    expect(log).toEqual(["abort:stubborn@0"]);
    await clock.advance(1);
    expect(log).toEqual(["abort:stubborn@0", "abort:b@100"]);
    await clock.advance(1000);
    expect(log).toEqual(["abort:stubborn@0", "abort:b@100", "done:b@110", "abort:a@110", "done:a@120", "abort:body@120"]);
    expect(resolved).toBe(false);

    straggler.resolve();
    await done;
    expect(log.at(-1)).toBe("done:stubborn@1100");
    expect(clock.pending).toBe(0);
  });

  it("waits for each child without limit when childGrace is not given", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const stubborn = deferred();
    const done = nursery(
      (n) => {
        n.spawn(worker(log, "a", clock));
        n.spawn(async (task) => {
          task.signal.addEventListener("abort", () => log.push(`abort:stubborn@${clock.now()}`));
          await stubborn.promise;
        });
        n.cancel();
      },
      { clock },
    );
    await clock.advance(365 * 24 * 3_600_000);
    expect(log).toEqual(["abort:stubborn@0"]);
    expect(clock.pending).toBe(0); // no grace timer was set
    stubborn.resolve();
    await clock.runAll();
    await done;
    expect(log).toEqual(["abort:stubborn@0", `abort:a@${365 * 24 * 3_600_000}`, `done:a@${365 * 24 * 3_600_000 + 10}`]);
  });

  it("does not let childGrace cut short a child that settles in time", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const done = nursery(
      (n) => {
        n.spawn(worker(log, "a", clock, 10));
        n.spawn(worker(log, "b", clock, 50));
        n.cancel();
      },
      { clock, childGrace: 60 },
    );
    await clock.runAll();
    await done;
    expect(log).toEqual(["abort:b@0", "done:b@50", "abort:a@50", "done:a@60"]);
    expect(clock.pending).toBe(0);
  });

  it('aborts every child and the body in the same tick with cancelOrder: "concurrent"', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const done = nursery(
      async (n) => {
        watchBody(log, n, clock);
        n.spawn(worker(log, "a", clock, 10));
        n.spawn(worker(log, "b", clock, 20));
        n.spawn(worker(log, "c", clock, 30));
        n.cancel();
        log.push("cancel() returned");
        await untilAborted(n.signal);
      },
      { clock, cancelOrder: "concurrent" },
    );
    await clock.runAll();
    await done;
    expectSequence(log, [
      new Set(["abort:a@0", "abort:b@0", "abort:c@0", "abort:body@0"]),
      "cancel() returned",
      "done:a@10",
      "done:b@20",
      "done:c@30",
    ]);
  });

  it("cancels nested nurseries depth-first when they are opened with the task's signal", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const done = nursery(
      async (n) => {
        watchBody(log, n, clock);
        n.spawn(worker(log, "A", clock));
        n.spawn(async (task) => {
          task.signal.addEventListener("abort", () => log.push(`abort:B@${clock.now()}`));
          await nursery(
            async (inner) => {
              inner.signal.addEventListener("abort", () => log.push(`abort:B-body@${clock.now()}`));
              inner.spawn(worker(log, "B1", clock));
              inner.spawn(worker(log, "B2", clock));
              await untilAborted(inner.signal);
            },
            { signal: task.signal, name: "inner", clock },
          ).finally(() => log.push(`done:B@${clock.now()}`));
        });
        n.spawn(worker(log, "C", clock));
        await sleep(clock, 5);
        n.cancel();
        await untilAborted(n.signal);
      },
      { clock, name: "outer" },
    );
    await clock.runAll();
    await done;
    expect(log).toEqual([
      "abort:C@5",
      "done:C@15",
      "abort:B@15",
      "abort:B2@15",
      "done:B2@25",
      "abort:B1@25",
      "done:B1@35",
      "abort:B-body@35",
      "done:B@35",
      "abort:A@35",
      "done:A@45",
      "abort:body@45",
    ]);
  });

  it("starts siblings spawned during cancellation already cancelled and waits for them", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    let nurseryReason: unknown;
    const done = nursery(
      async (n) => {
        watchBody(log, n, clock);
        n.spawn(worker(log, "a", clock));
        n.spawn(async (task) => {
          try {
            await untilAborted(task.signal);
          } finally {
            log.push(`abort:b@${clock.now()}`);
            nurseryReason = task.signal.reason;
            task.nursery.spawn(async (late) => {
              log.push(`late starts aborted=${late.signal.aborted} sameReason=${late.signal.reason === nurseryReason}`);
              await sleep(clock, 30);
              log.push(`done:late@${clock.now()}`);
            });
            await sleep(clock, 10);
            log.push(`done:b@${clock.now()}`);
          }
        });
        n.cancel();
        await untilAborted(n.signal);
      },
      { clock },
    );
    await clock.runAll();
    await done;
    expect(log).toEqual([
      "abort:b@0",
      "late starts aborted=true sameReason=true",
      "done:b@10",
      // the late sibling is now the newest live child: it is waited for before "a" is cancelled
      "done:late@30",
      "abort:a@30",
      "done:a@40",
      "abort:body@40",
    ]);
  });
});

describe("nursery cancellation reasons", () => {
  it("gives every task the first reason, even when later triggers fire", async () => {
    const outside = new AbortController();
    const reasons: unknown[] = [];
    const boom = new Error("boom");
    const err = await rejection(
      nursery(
        async (n) => {
          for (let i = 0; i < 3; i++) {
            n.spawn(async (task) => {
              await untilAborted(task.signal).catch(() => {});
              reasons.push(task.signal.reason);
              outside.abort("late outside"); // later triggers change nothing
              n.cancel("late cancel");
            });
          }
          n.spawn(async () => {
            await null;
            throw boom;
          }, { name: "fetch-users" });
          await untilAborted(n.signal).catch(() => {});
          reasons.push(n.signal.reason);
        },
        { signal: outside.signal, name: "crawler" },
      ),
    );
    expect(reasons).toHaveLength(4);
    const first = reasons[0] as CancelledError;
    expect(first).toBeInstanceOf(CancelledError);
    for (const r of reasons) expect(r).toBe(first);
    expect(first.reason).toEqual({ source: "sibling-failed", detail: boom, nursery: "crawler", task: "fetch-users" });
    expect(first.message).toBe('cancelled: sibling task "fetch-users" failed (nursery "crawler")');
    expect(err).toBeInstanceOf(NurseryError);
    expect((err as NurseryError).errors).toEqual([boom]);
  });

  it("rejects with the outside reason when the outside signal aborts after cancel(), while the signal keeps the first reason", async () => {
    // Both are cancelled: the outermost scope catches, so the caller sees its own cancellation
    // instead of a value; inside, the first reason stays the one every task saw.
    const outside = new AbortController();
    let seen: unknown;
    const err = await rejection(
      nursery(
        async (n) => {
          n.spawn((task) => untilAborted(task.signal));
          n.cancel("mine");
          outside.abort("theirs");
          await untilAborted(n.signal).catch(() => {});
          seen = (n.signal.reason as CancelledError).reason.detail;
        },
        { signal: outside.signal, name: "req" },
      ),
    );
    expect(seen).toBe("mine");
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).reason).toEqual({ source: "parent", detail: "theirs", nursery: "req", task: undefined });
  });

  it("rejects with the enclosing nursery's CancelledError, not a TimeoutError, when its timeout passed first and the enclosing nursery was cancelled before it closed", async () => {
    const clock = new VirtualClock();
    let inner: Promise<unknown> | undefined;
    const outer = nursery(
      async (n) => {
        n.spawn(async (task) => {
          inner = nursery(
            async (m) => {
              m.spawn(async (t) => {
                await untilAborted(t.signal).catch(() => {});
                await sleep(clock, 50); // cleanup that outlasts the moment the outer cancel comes
              });
            },
            { clock, timeout: 100, signal: task.signal, name: "inner" },
          );
          await inner;
        });
        await sleep(clock, 120);
        n.cancel("stop");
      },
      { clock, name: "outer" },
    );
    await clock.runAll();
    await expect(outer).resolves.toBeUndefined();
    const err = await rejection(inner as Promise<unknown>);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).reason).toMatchObject({ source: "explicit", detail: "stop", nursery: "outer" });
  });

  it("keeps its own TimeoutError as the cause of the NurseryError when a real error happens after its timeout", async () => {
    const clock = new VirtualClock();
    const boom = new Error("cleanup failed");
    const done = rejection(
      nursery(
        async (n) => {
          n.spawn(async (task) => {
            await untilAborted(task.signal).catch(() => {});
            throw boom;
          });
        },
        { clock, timeout: 100, name: "job" },
      ),
    );
    await clock.runAll();
    const err = await done;
    expect(err).toBeInstanceOf(NurseryError);
    expect((err as NurseryError).errors).toEqual([boom]);
    expect((err as NurseryError).cause).toBeInstanceOf(TimeoutError);
    expect((err as NurseryError).cause).toMatchObject({ timeout: 100, scope: "job" });
  });

  it("gives a NurseryError no cause when no deadline of its own passed", async () => {
    const boom = new Error("boom");
    const err = await rejection(nursery(async (n) => void n.spawn(() => Promise.reject(boom))));
    expect(err).toBeInstanceOf(NurseryError);
    expect(Object.hasOwn(err as object, "cause")).toBe(false);
  });

  it("rejects with the outside reason when the outside signal came first, even if cancel() follows", async () => {
    const outside = new AbortController();
    const err = await rejection(
      nursery(
        async (n) => {
          n.spawn((task) => untilAborted(task.signal));
          outside.abort("theirs");
          n.cancel("mine");
          await untilAborted(n.signal);
        },
        { signal: outside.signal, name: "req" },
      ),
    );
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).reason).toEqual({ source: "parent", detail: "theirs", nursery: "req", task: undefined });
  });

  it("runs the body with its signal aborted when the outside signal was aborted before entry", async () => {
    const outside = new AbortController();
    const why = new Error("request closed");
    outside.abort(why);
    const baseline = listeners(outside.signal);
    const seen: unknown[] = [];
    const err = await rejection(
      nursery(
        (n) => {
          seen.push(n.cancelRequested, n.signal.aborted);
          n.spawn((task) => {
            seen.push(task.signal.aborted, task.signal.reason === n.signal.reason);
          });
          expect(listeners(outside.signal)).toBe(baseline);
          return "ignored";
        },
        { signal: outside.signal, name: "api" },
      ),
    );
    expect(seen).toEqual([true, true, true, true]);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).reason).toEqual({ source: "parent", detail: why, nursery: "api", task: undefined });
    expect((err as CancelledError).message).toBe('cancelled: parent was cancelled (nursery "api"): request closed');
    expect(listeners(outside.signal)).toBe(baseline);
  });

  it("passes an enclosing nursery's CancelledError down unchanged to nested nurseries", async () => {
    const reasons: unknown[] = [];
    await nursery(async (n) => {
      n.spawn(async (task) => {
        const err = await rejection(
          nursery(async (inner) => {
            inner.spawn(async (t) => {
              await untilAborted(t.signal).catch(() => {});
              reasons.push(t.signal.reason);
            });
          }, { signal: task.signal }),
        );
        reasons.push(err, task.signal.reason);
        throw err;
      });
      n.cancel("stop");
      await untilAborted(n.signal).catch(() => {});
      reasons.push(n.signal.reason);
    }, { name: "outer" });
    expect(reasons).toHaveLength(4);
    for (const r of reasons) expect(r).toBe(reasons[0]);
    expect((reasons[0] as CancelledError).reason).toMatchObject({ source: "explicit", detail: "stop", nursery: "outer" });
  });

  it("is cancellation-level-triggered: its signal stays aborted and each await on it rejects with the same reason", async () => {
    await nursery(async (n) => {
      n.spawn(async (task) => {
        const first = await rejection(untilAborted(task.signal));
        const second = await rejection(untilAborted(task.signal));
        expect(task.signal.aborted).toBe(true);
        expect(second).toBe(first);
        expect(() => task.signal.throwIfAborted()).toThrow(first as Error);
      });
      n.cancel();
    });
  });

  it("sets cancelRequested on the first trigger and makes cancel() idempotent, synchronous and non-throwing", async () => {
    let captured!: Nursery;
    await nursery(async (n) => {
      captured = n;
      expect(n.cancelRequested).toBe(false);
      const hostile = { toString: () => { throw new Error("do not stringify me"); } };
      expect(() => n.cancel(hostile)).not.toThrow();
      expect(n.cancelRequested).toBe(true);
      expect(n.signal.aborted).toBe(true);
      const reason = n.signal.reason as CancelledError;
      expect(reason.reason.detail).toBe(hostile);
      n.cancel("again");
      expect(n.signal.reason).toBe(reason);
    });
    expect(() => captured.cancel("after the end")).not.toThrow();
  });
});

describe("nursery outcome", () => {
  it("resolves with the body's value when it cancelled itself with cancel()", async () => {
    const value = await nursery((n) => {
      n.spawn((task) => untilAborted(task.signal));
      n.cancel();
      return "body value";
    });
    expect(value).toBe("body value");
  });

  it("resolves with undefined when cancel() also cancelled the body", async () => {
    const value = await nursery(async (n) => {
      n.spawn((task) => untilAborted(task.signal));
      n.cancel();
      await untilAborted(n.signal);
      return "never";
    });
    expect(value).toBeUndefined();
  });

  it("rejects with CancelledError carrying the outside reason, even when every task swallowed it", async () => {
    const outside = new AbortController();
    const err = await rejection(
      nursery(
        async (n) => {
          n.spawn(async (task) => {
            await untilAborted(task.signal).catch(() => "swallowed");
          });
          outside.abort("client went away");
          await untilAborted(n.signal).catch(() => "swallowed");
          return "completed anyway";
        },
        { signal: outside.signal, name: "request" },
      ),
    );
    expect(err).toBeInstanceOf(CancelledError);
    expect(err).toMatchObject({
      code: "ERR_CANCELLED",
      reason: { source: "parent", detail: "client went away", nursery: "request" },
      message: 'cancelled: parent was cancelled (nursery "request"): client went away',
    });
  });

  it("rejects with TimeoutError when its timeout passes, and its tasks see a deadline cancellation", async () => {
    const clock = new VirtualClock();
    const reasons: CancelledError[] = [];
    const done = settle(
      nursery(
        async (n) => {
          n.spawn(async (task) => {
            await untilAborted(task.signal).catch(() => {});
            reasons.push(task.signal.reason as CancelledError);
          });
          await untilAborted(n.signal);
        },
        { clock, timeout: 250, name: "slow" },
      ),
    );
    await clock.advance(249);
    expect(reasons).toEqual([]);
    await clock.advance(1);
    const result = await done;
    expect(result.ok).toBe(false);
    const err = (result as { error: unknown }).error;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(isCancellation(err)).toBe(false);
    expect(err).toMatchObject({ code: "ERR_TIMEOUT", timeout: 250, scope: "slow" });
    expect(reasons[0]?.reason).toEqual({ source: "deadline", detail: 250, nursery: "slow", task: undefined });
    expect(clock.pending).toBe(0);
  });

  it("clears its timeout timer when it finishes before the deadline", async () => {
    const clock = new VirtualClock();
    await expect(nursery(() => "fast", { clock, timeout: 1000 })).resolves.toBe("fast");
    expect(clock.pending).toBe(0);
  });

  it("does not fail when a child catches its cancellation and returns normally", async () => {
    const outcomes = await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        try {
          await untilAborted(task.signal);
        } catch {
          return "cleaned up";
        }
        return "unreachable";
      });
      n.cancel();
      return [await t, t.state];
    });
    expect(outcomes).toEqual(["cleaned up", "fulfilled"]);
  });

  it("treats a Node AbortError (with cause) from a cancelled child as a cancellation, not an error", async () => {
    await expect(
      nursery((n) => {
        n.spawn((task) => nodeSleep(1e9, undefined, { signal: task.signal }));
        n.cancel();
      }),
    ).resolves.toBeUndefined();
  });

  it("treats any cancellation-shaped rejection from a child cancelled alone as a cancellation", async () => {
    const states = await nursery(async (n) => {
      const viaTimer = n.spawn((task) => nodeSleep(1e9, undefined, { signal: task.signal }));
      const viaDom = n.spawn(async (task) => {
        await untilAborted(task.signal).catch(() => {});
        throw new DOMException("fetch aborted", "AbortError"); // what a fetch-like API might throw
      });
      viaTimer.cancel();
      viaDom.cancel();
      await settle(viaTimer);
      await settle(viaDom);
      return [viaTimer.state, viaDom.state, n.cancelRequested];
    });
    expect(states).toEqual(["cancelled", "cancelled", false]);
  });

  it("reports an AbortError from a child whose own signal was not aborted as a real error", async () => {
    const unrelated = new AbortController();
    unrelated.abort();
    const err = await rejection(
      nursery((n) => {
        n.spawn(() => nodeSleep(10, undefined, { signal: unrelated.signal }), { name: "confused" });
      }),
    );
    expect(err).toBeInstanceOf(NurseryError);
    const [only] = (err as NurseryError).errors;
    expect((only as Error).name).toBe("AbortError");
    expect((only as { cause?: unknown }).cause).toBe(unrelated.signal.reason);
  });
});

describe("nursery errors", () => {
  it("aggregates the failure and every cleanup error, in the order they happened", async () => {
    const clock = new VirtualClock();
    const failure = new Error("a failed");
    const cleanupC = new Error("c cleanup failed");
    const cleanupB = new Error("b cleanup failed");
    const bodyError = new Error("body failed while cancelled");
    const done = rejection(
      nursery(
        async (n) => {
          n.spawn(async () => {
            await sleep(clock, 5);
            throw failure;
          }, { name: "a" });
          n.spawn(async (task) => {
            try {
              await untilAborted(task.signal);
            } finally {
              await sleep(clock, 10);
              throw cleanupB; // eslint-disable-line no-unsafe-finally
            }
          }, { name: "b" });
          n.spawn(async (task) => {
            try {
              await untilAborted(task.signal);
            } finally {
              throw cleanupC; // eslint-disable-line no-unsafe-finally
            }
          }, { name: "c" });
          n.spawn(async (task) => {
            await untilAborted(task.signal); // a plain cancellation: not listed
          }, { name: "d" });
          try {
            await untilAborted(n.signal);
          } finally {
            throw bodyError; // eslint-disable-line no-unsafe-finally
          }
        },
        { clock, name: "batch" },
      ),
    );
    await clock.runAll();
    const err = await done;
    expect(err).toBeInstanceOf(NurseryError);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as NurseryError).errors).toEqual([failure, cleanupC, cleanupB, bodyError]);
    expect((err as NurseryError).errors[1]).toBe(cleanupC);
    expect(err).toMatchObject({
      code: "ERR_NURSERY_FAILED",
      name: "NurseryError",
      nursery: "batch",
      message: 'nursery "batch" failed with 4 errors: a failed (and more)',
    });
  });

  it("never lists or logs a cancellation", async () => {
    const error = jest.spyOn(console, "error").mockImplementation(() => {});
    const warn = jest.spyOn(console, "warn").mockImplementation(() => {});
    const boom = new Error("boom");
    const err = await rejection(
      nursery((n) => {
        for (let i = 0; i < 5; i++) n.spawn((task) => untilAborted(task.signal));
        n.spawn(async () => {
          await null;
          throw boom;
        });
      }),
    );
    expect((err as NurseryError).errors).toEqual([boom]);
    expect(error).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });

  it("produces no unhandled rejection from unawaited failing or cancelled tasks", async () => {
    const unhandled = await collectUnhandledRejections(async () => {
      const err = await rejection(
        nursery(async (n) => {
          n.spawn(async () => {
            await null;
            throw new Error("async failure nobody awaits");
          });
          n.spawn(() => {
            throw new Error("sync failure nobody awaits");
          });
          n.spawn((task) => untilAborted(task.signal));
          n.spawn((task) => nodeSleep(1e9, undefined, { signal: task.signal }));
          await untilAborted(n.signal);
        }),
      );
      expect((err as NurseryError).errors).toHaveLength(2);
      // an opened nursery that is never disposed must not leak its child's failure either
      const open = openNursery();
      open.spawn(async () => {
        throw new Error("failure in an undisposed nursery");
      });
    });
    expect(unhandled).toEqual([]);
  });
});

describe("openNursery", () => {
  it("waits for every child when the `await using` block ends", async () => {
    const clock = new VirtualClock({ autojump: true });
    const log: string[] = [];
    {
      await using n = openNursery({ clock, name: "block" });
      n.spawn(async () => {
        await sleep(clock, 20);
        log.push("slow child done");
      });
      n.spawn(async () => {
        await sleep(clock, 10);
        log.push("fast child done");
      });
      log.push("block ends");
    }
    log.push("after block");
    expect(log).toEqual(["block ends", "fast child done", "slow child done", "after block"]);
  });

  it("rejects at the end of the block with NurseryError when a child failed, after cancelling the others", async () => {
    const clock = new VirtualClock({ autojump: true });
    const log: string[] = [];
    const boom = new Error("boom");
    const err = await rejection(
      (async () => {
        await using n = openNursery({ clock });
        n.spawn(worker(log, "a", clock));
        n.spawn(async () => {
          await sleep(clock, 5);
          throw boom;
        });
        log.push("block ends");
      })(),
    );
    expect(err).toBeInstanceOf(NurseryError);
    expect((err as NurseryError).errors).toEqual([boom]);
    expect(log).toEqual(["block ends", "abort:a@5", "done:a@15"]);
  });

  it("resolves at the end of the block after cancel(), and rejects after the outside signal aborted", async () => {
    const clock = new VirtualClock({ autojump: true });
    await (async () => {
      await using n = openNursery({ clock });
      n.spawn((task) => untilAborted(task.signal));
      n.cancel();
    })();

    const outside = new AbortController();
    const err = await rejection(
      (async () => {
        await using n = openNursery({ clock, signal: outside.signal });
        n.spawn((task) => untilAborted(task.signal));
        outside.abort("bye");
      })(),
    );
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).reason.detail).toBe("bye");
  });
});

describe("outside signal listeners", () => {
  it("adds one listener to the outside signal, whatever the number of children, and removes it at the end", async () => {
    const outside = new AbortController();
    const baseline = listeners(outside.signal);
    const gate = deferred();
    await nursery(
      (n) => {
        for (let i = 0; i < 10_000; i++) {
          n.spawn(async (task) => {
            void task.signal; // children that read their own signal still add nothing to the outside one
            await gate.promise;
          });
        }
        expect(listeners(outside.signal)).toBe(baseline + 1);
        gate.resolve();
      },
      { signal: outside.signal },
    );
    expect(listeners(outside.signal)).toBe(baseline);
  });

  it("returns the outside signal to its baseline after cancelling 10k children through it", async () => {
    const outside = new AbortController();
    const baseline = listeners(outside.signal);
    let cancelled = 0;
    const err = await rejection(
      nursery(
        (n) => {
          for (let i = 0; i < 10_000; i++) {
            n.spawn(async (task) => {
              await untilAborted(task.signal).catch(() => cancelled++);
            });
          }
          expect(listeners(outside.signal)).toBe(baseline + 1);
          outside.abort();
        },
        { signal: outside.signal },
      ),
    );
    expect(err).toBeInstanceOf(CancelledError);
    expect(cancelled).toBe(10_000);
    expect(listeners(outside.signal)).toBe(baseline);
  });

  it("returns a parent task's signal to its baseline after many nested nurseries opened on it", async () => {
    await nursery((n) => {
      n.spawn(async (task) => {
        const baseline = listeners(task.signal);
        for (let i = 0; i < 1000; i++) {
          await nursery((inner) => {
            inner.spawn(async () => {});
          }, { signal: task.signal });
        }
        expect(listeners(task.signal)).toBe(baseline);
      });
    });
  });
});

describe("Task", () => {
  it("cancels one task alone with task.cancel(): siblings and the body go on, and the nursery resolves", async () => {
    const log: string[] = [];
    const value = await nursery(async (n) => {
      const victim = n.spawn(async (task) => {
        await untilAborted(task.signal);
      }, { name: "victim" });
      const sibling = n.spawn(async (task) => {
        await null;
        log.push(`sibling aborted=${task.signal.aborted}`);
        return "sibling value";
      });
      victim.cancel("not needed");
      const err = await rejection(victim);
      expect(err).toBeInstanceOf(CancelledError);
      expect((err as CancelledError).reason).toEqual({ source: "explicit", detail: "not needed", nursery: "nursery", task: "victim" });
      expect((err as CancelledError).message).toBe('cancelled: task "victim" was cancelled (nursery "nursery"): not needed');
      expect(victim.state).toBe("cancelled");
      expect(n.cancelRequested).toBe(false);
      expect(n.signal.aborted).toBe(false);
      return [await sibling, n.signal.aborted];
    });
    expect(value).toEqual(["sibling value", false]);
    expect(log).toEqual(["sibling aborted=false"]);
  });

  it("ignores cancel() on a task that already finished", async () => {
    await nursery(async (n) => {
      const t = n.spawn(() => "done");
      expect(t.state).toBe("fulfilled");
      t.cancel();
      expect(t.state).toBe("fulfilled");
      await expect(t).resolves.toBe("done");
    });
  });

  it('reports its state: "running", then "fulfilled", "rejected" or "cancelled"', async () => {
    const err = new Error("nope");
    const states: Record<string, string> = {};
    const result = await settle(
      nursery(async (n) => {
        const gate = deferred();
        const ok = n.spawn(async () => {
          await gate.promise;
          return 1;
        });
        const cancelled = n.spawn((task) => untilAborted(task.signal));
        const failing = n.spawn(async () => {
          await gate.promise;
          throw err;
        });
        states.initially = [ok, cancelled, failing].map((t) => t.state).join(",");
        cancelled.cancel();
        await settle(cancelled);
        gate.resolve();
        await settle(ok);
        await settle(failing);
        await flush(1);
        states.finally = [ok, cancelled, failing].map((t) => t.state).join(",");
      }),
    );
    expect(states).toEqual({ initially: "running,running,running", finally: "fulfilled,cancelled,rejected" });
    expect(result.ok).toBe(false);
  });

  it("is awaitable: it resolves with the function's value and rejects with its error", async () => {
    const boom = new Error("boom");
    const seen: unknown[] = [];
    await settle(
      nursery(async (n) => {
        seen.push(await n.spawn(async () => 7));
        seen.push(await n.spawn(() => "sync"));
        seen.push(await rejection(n.spawn(async () => Promise.reject(boom))));
        seen.push(await rejection(n.spawn(() => { throw boom; })));
      }),
    );
    expect(seen).toEqual([7, "sync", boom, boom]);
  });

  it("rejects with its CancelledError when awaited after being cancelled", async () => {
    await nursery(async (n) => {
      const direct = n.spawn((task) => untilAborted(task.signal));
      const viaNodeTimer = n.spawn((task) => nodeSleep(1e9, undefined, { signal: task.signal }));
      direct.cancel();
      viaNodeTimer.cancel("later");
      const first = await rejection(direct);
      const second = await rejection(viaNodeTimer);
      expect(first).toBeInstanceOf(CancelledError);
      expect(second).toBeInstanceOf(CancelledError);
      expect((second as CancelledError).reason.detail).toBe("later");
      expect(viaNodeTimer.state).toBe("cancelled");
    });
  });
});

describe("nursery at the edges", () => {
  it("regression: a task works with its context destructured (`started`, `cancel`, `signal`, `name`, `nursery`, `clock`)", async () => {
    const seen: unknown[] = [];
    const value = await nursery(async (n) => {
      const ready = await n.start<number>(({ started, signal, name, nursery: owner, clock }) => {
        seen.push(signal.aborted, name, owner === n, typeof clock.now());
        started(42);
        return untilAborted(signal);
      }, { name: "server" });
      const task = n.spawn(async ({ cancel, signal }) => {
        cancel("self");
        seen.push(signal.aborted);
        await untilAborted(signal);
      });
      await rejection(task);
      const { cancel } = n.spawn(({ signal }) => untilAborted(signal));
      cancel();
      n.cancel();
      return ready;
    });
    expect(value).toBe(42);
    expect(seen).toEqual([false, "server", true, "number", true]);
  });

  it("regression: a nursery works with its methods destructured", async () => {
    const value = await nursery(async ({ spawn, start, cancel, name }) => {
      const ready = await start<number>(({ started }) => started(7));
      const a = spawn(async () => ready + 1);
      const joined = await a;
      spawn(({ signal }) => untilAborted(signal));
      cancel("done");
      return [joined, name];
    });
    expect(value).toEqual([8, "nursery"]);
    // The same function on every read, so a stored reference stays valid.
    const n = openNursery();
    expect(n.spawn).toBe(n.spawn);
    const { cancel: stop, spawn: add } = n;
    add(({ signal }) => untilAborted(signal));
    stop();
    await n[Symbol.asyncDispose]();
    expect(n.cancelRequested).toBe(true);
  });

  it("regression: a throwing onCancel hook is a cleanup error of its task, listed once in the NurseryError", async () => {
    const boom = new Error("hook failed");
    const log: string[] = [];
    const err = await rejection(
      nursery(async (n) => {
        n.spawn(async (task) => {
          onCancel(task, () => {
            throw boom;
          });
          onCancel(task, () => log.push("second hook ran"));
          await untilAborted(task.signal);
        }, { name: "leaky" });
        n.spawn(async (task) => {
          onCancel(task.signal, () => {
            throw boom;
          });
          await untilAborted(task.signal);
        });
        await Promise.resolve();
        n.cancel();
      }),
    );
    expect(err).toBeInstanceOf(NurseryError);
    expect((err as NurseryError).errors).toEqual([boom]);
    expect(log).toEqual(["second hook ran"]);
  });

  it("regression: a throwing onCancel hook on a task cancelled alone fails the nursery", async () => {
    const boom = new Error("hook failed");
    const err = await rejection(
      nursery(async (n) => {
        const c = n.spawn(async (task) => {
          onCancel(task, () => {
            throw boom;
          });
          await untilAborted(task.signal);
        });
        c.cancel();
        await settle(c);
      }),
    );
    expect((err as NurseryError).errors).toEqual([boom]);
  });

  it("regression: a throwing onCancel hook on the body's signal is an error of the nursery", async () => {
    const boom = new Error("body hook failed");
    const err = await rejection(
      nursery(async (n) => {
        onCancel(n.signal, () => {
          throw boom;
        });
        n.spawn(({ signal }) => untilAborted(signal));
        n.cancel();
      }),
    );
    expect((err as NurseryError).errors).toEqual([boom]);
  });

  it("regression: awaiting a task cancelled on purpose does not fail the nursery, from the body or from a sibling", async () => {
    const log: string[] = [];
    const value = await nursery(async (n) => {
      const c = n.spawn(({ signal }) => untilAborted(signal), { name: "halted" });
      const d = n.spawn(({ signal }) => untilAborted(signal), { name: "halted-2" });
      const waiter = n.spawn(async () => {
        await d; // rejects with d's CancelledError: a cancellation, not an error
      }, { name: "waiter" });
      const sibling = n.spawn(async ({ signal }) => {
        await nodeSleep(1);
        log.push(`sibling cancelled: ${String(signal.aborted)}`);
        return "sibling done";
      });
      d.cancel();
      await settle(waiter);
      log.push(`waiter: ${waiter.state}`);
      expect(await sibling).toBe("sibling done");
      c.cancel();
      await c; // the translation of effection's halt(): the body ends here, as cancelled
      log.push("not reached");
      return "body value";
    });
    expect(value).toBeUndefined();
    expect(log).toEqual(["waiter: cancelled", "sibling cancelled: false"]);
  });

  it("regression: a real error whose cause is the cancellation reason is reported", async () => {
    const flushFailed: Error[] = [];
    const err = await rejection(
      nursery(async (n) => {
        n.spawn(async ({ signal }) => {
          try {
            await untilAborted(signal);
          } finally {
            const e = new Error("flush failed during cancel", { cause: signal.reason });
            flushFailed.push(e);
            // eslint-disable-next-line no-unsafe-finally -- the cleanup's own failure is the point
            throw e;
          }
        });
        const alone = n.spawn(async ({ signal }) => {
          try {
            await untilAborted(signal);
          } catch (reason) {
            const e = new Error("close failed", { cause: reason });
            flushFailed.push(e);
            throw e;
          }
        });
        await Promise.resolve();
        alone.cancel();
        await settle(alone);
        n.cancel();
      }),
    );
    expect((err as NurseryError).errors).toEqual(flushFailed);
    expect(flushFailed).toHaveLength(2);
  });

  it("still reads Node's AbortError wrapping the reason in `cause` as a cancellation", async () => {
    await expect(
      nursery(async (n) => {
        n.spawn(({ signal }) => nodeSleep(60_000, undefined, { signal }));
        await Promise.resolve();
        n.cancel();
      }),
    ).resolves.toBeUndefined();
  });

  it("regression: cancelling a 10,000-deep chain of nested nurseries settles, each cleanup in order, without RangeError", async () => {
    // 100,000 levels are measured in bench/ (scenario 7); 10,000 keeps this test quick under load.
    const depth = 10_000;
    const log: number[] = [];
    let ready!: () => void;
    const allOpen = new Promise<void>((resolve) => (ready = resolve));
    const level = (i: number) => async (task: TaskContext): Promise<void> => {
      await null; // entering is the caller's recursion: one level per turn keeps it off the stack
      try {
        if (i === depth) {
          ready();
          await untilAborted(task.signal);
        } else {
          await nursery((n) => void n.spawn(level(i + 1)), { signal: task.signal });
        }
      } finally {
        log.push(i);
      }
    };
    const outer = new AbortController();
    const done = nursery((n) => void n.spawn(level(1)), { signal: outer.signal });
    await allOpen;
    outer.abort("stop");
    const err = await rejection(done);
    expect(err).toBeInstanceOf(CancelledError);
    expect(log).toHaveLength(depth);
    expect(log.every((v, i) => v === depth - i)).toBe(true);
  });

  it("regression: a nursery whose timeout is 0 is cancelled at its first checkpoint, every time", async () => {
    for (let i = 0; i < 50; i++) {
      const err = await rejection(
        nursery(async (n) => {
          await checkpoint(n.signal);
          return "passed";
        }, { timeout: 0 }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
    }
  });
});
