import { describe, expect, it } from "@jest/globals";
import { CancelledError, nursery, type Task } from "@nursery/core";
import { ChannelClosedError, channel, iterate } from "@nursery/streams";
import fc from "fast-check";
import { collect, deferred, flush, listeners, rejectionOf, track } from "./support.js";

const reason = new Error("task cancelled");

describe("channel", () => {
  it("delivers items in the order they were sent", async () => {
    const ch = channel<number>(3);
    await ch.send(1);
    await ch.send(2);
    expect(await ch.receive()).toBe(1);
    expect(await ch.receive()).toBe(2);
  });

  it("makes a sender wait while the channel is full, until a receiver takes an item", async () => {
    const ch = channel<string>(2);
    await ch.send("a");
    await ch.send("b");
    const third = track(ch.send("c"));
    await flush();
    expect(third.settled).toBe(false);
    expect(ch.size).toBe(2);
    expect(await ch.receive()).toBe("a");
    await third.promise;
    expect(ch.size).toBe(2);
    expect(await collect(take(ch, 2))).toEqual(["b", "c"]);
  });

  it("makes a receiver wait while the channel is empty, until an item is sent", async () => {
    const ch = channel<string>(1);
    const received = track(ch.receive());
    await flush();
    expect(received.settled).toBe(false);
    await ch.send("x");
    expect(await received.promise).toBe("x");
    expect(ch.size).toBe(0);
  });

  it("enqueues nothing when a waiting send is cancelled", async () => {
    const ch = channel<string>(1);
    await ch.send("kept");
    const controller = new AbortController();
    const sending = ch.send("dropped", { signal: controller.signal });
    expect(listeners(controller.signal)).toBe(1);
    controller.abort(reason);
    expect(await rejectionOf(sending)).toBe(reason);
    expect(listeners(controller.signal)).toBe(0);
    ch.close();
    expect(await collect(ch)).toEqual(["kept"]);
  });

  it("takes nothing when a waiting receive is cancelled", async () => {
    const ch = channel<string>(1);
    const controller = new AbortController();
    const receiving = ch.receive({ signal: controller.signal });
    controller.abort(reason);
    expect(await rejectionOf(receiving)).toBe(reason);
    expect(listeners(controller.signal)).toBe(0);
    await ch.send("next");
    expect(await ch.receive()).toBe("next");
  });

  it("rejects at once, moving no item, when the signal is already aborted", async () => {
    const ch = channel<string>(1);
    await ch.send("a");
    const controller = new AbortController();
    controller.abort(reason);
    expect(await rejectionOf(ch.receive({ signal: controller.signal }))).toBe(reason);
    expect(await rejectionOf(ch.send("b", { signal: controller.signal }))).toBe(reason);
    expect(listeners(controller.signal)).toBe(0);
    expect(ch.size).toBe(1);
  });

  it("adds no listener to the signal when the operation does not wait", async () => {
    const ch = channel<string>(1);
    const controller = new AbortController();
    await ch.send("a", { signal: controller.signal });
    await ch.receive({ signal: controller.signal });
    expect(listeners(controller.signal)).toBe(0);
  });

  it("lets receivers drain after close(), then ends them", async () => {
    const ch = channel<number>(3);
    await ch.send(1);
    await ch.send(2);
    ch.close();
    expect(ch.closed).toBe(true);
    expect(await ch.receive()).toBe(1);
    expect(await collect(ch)).toEqual([2]);
    const err = await rejectionOf(ch.receive());
    expect(err).toBeInstanceOf(ChannelClosedError);
    expect((err as ChannelClosedError).code).toBe("ERR_CHANNEL_CLOSED");
  });

  it("ends receivers that were waiting when the channel closed", async () => {
    const ch = channel<number>(1);
    const waiting = ch.receive();
    const looping = collect(ch);
    ch.close();
    expect(await rejectionOf(waiting)).toBeInstanceOf(ChannelClosedError);
    expect(await looping).toEqual([]);
  });

  it("refuses sends after close(), and sends that were waiting, without enqueuing them", async () => {
    const ch = channel<string>(1);
    await ch.send("in");
    const waiting = ch.send("waiting");
    ch.close();
    expect(await rejectionOf(waiting)).toBeInstanceOf(ChannelClosedError);
    expect(await rejectionOf(ch.send("late"))).toBeInstanceOf(ChannelClosedError);
    expect(await collect(ch)).toEqual(["in"]);
  });

  it("serves waiting receivers first come, first served", async () => {
    const ch = channel<string>(1);
    const first = ch.receive();
    const second = ch.receive();
    await ch.send("a");
    await ch.send("b");
    expect(await first).toBe("a");
    expect(await second).toBe("b");
  });

  it("serves waiting senders first come, first served", async () => {
    const ch = channel<string>(1);
    await ch.send("a");
    const b = ch.send("b");
    const c = ch.send("c");
    expect(await collect(take(ch, 3))).toEqual(["a", "b", "c"]);
    await Promise.all([b, c]);
  });

  it("leaves the next item for another consumer when an iterate() consumer is cancelled mid-wait", async () => {
    const ch = channel<string>(1);
    const controller = new AbortController();
    const loop = collect(iterate(ch, { signal: controller.signal }));
    await flush();
    controller.abort(reason);
    expect(await rejectionOf(loop)).toBe(reason);
    await ch.send("after");
    expect(await ch.receive()).toBe("after");
  });

  it("does not close the channel when a consumer leaves its loop", async () => {
    const ch = channel<number>(2);
    await ch.send(1);
    await ch.send(2);
    for await (const _ of ch) break;
    expect(ch.closed).toBe(false);
    expect(await ch.receive()).toBe(2);
  });

  it.each([0, -1, 1.5, Number.NaN, Infinity, "2", undefined])("throws the house TypeError for capacity %p", (capacity) => {
    expect(() => channel(capacity as number)).toThrow(TypeError);
    expect(() => channel(capacity as number)).toThrow(/^Expected `capacity` to be an integer >= 1, got `.*` \(\w+\)$/);
  });

  it("throws the house TypeError for a bad signal", () => {
    const ch = channel(1);
    expect(() => ch.send(1, { signal: {} as AbortSignal })).toThrow(
      new TypeError("Expected `options.signal` to be an AbortSignal, got `[object Object]` (object)"),
    );
  });
});

describe("channel between a producer nursery and a consumer nursery", () => {
  it("shuts them down in reverse order without losing or duplicating an item", async () => {
    const ch = channel<string>(2);
    const log: string[] = [];
    const sent: string[] = [];
    const received: string[] = [];
    const enough = deferred();
    await nursery(async (n) => {
      n.spawn(
        ({ signal }) =>
          nursery(
            (consumers) => {
              for (const c of [0, 1]) {
                consumers.spawn(async ({ signal: own }) => {
                  for await (const item of iterate(ch, { signal: own })) {
                    received.push(item);
                    if (received.length === 20) enough.resolve();
                  }
                });
              }
            },
            { signal, name: "consumers" },
          ).finally(() => log.push("consumers stopped")),
        { name: "consumers" },
      );
      n.spawn(
        ({ signal }) =>
          nursery(
            (producers) => {
              for (const p of [0, 1, 2]) {
                producers.spawn(async ({ signal: own }) => {
                  for (let i = 0; ; i++) {
                    await ch.send(`p${p}:${i}`, { signal: own });
                    sent.push(`p${p}:${i}`);
                  }
                });
              }
            },
            { signal, name: "producers" },
          ).finally(() => log.push("producers stopped")),
        { name: "producers" },
      );
      await enough.promise;
      n.cancel();
    });
    // Newest first: the producers stop before the consumers are cancelled.
    expect(log).toEqual(["producers stopped", "consumers stopped"]);
    ch.close();
    const left = await collect(ch);
    expect([...received, ...left].sort()).toEqual([...sent].sort());
    expect(new Set(received).size).toBe(received.length);
  });

  it("delivers every item exactly once up to the cancel point: 3 producers, 2 consumers, random cancellation", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.tuple(fc.nat(6), fc.nat(6), fc.nat(6)),
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
        fc.scheduler(),
        async (capacity, counts, victims, s) => {
          const ch = channel<string>(capacity);
          const acknowledged: string[] = [];
          const refused: string[] = [];
          const received: string[][] = [[], []];
          // tasks[0..2]: producers; tasks[3..4]: consumers.
          const tasks: (Task<unknown> | undefined)[] = [];
          const turn = (label: string): Promise<string> => s.schedule(Promise.resolve(label), label);

          const run = nursery(async (outer) => {
            outer.spawn(
              ({ signal }) =>
                nursery(
                  (consumers) => {
                    for (const c of [0, 1]) {
                      tasks[3 + c] = consumers.spawn(async ({ signal: own }) => {
                        for await (const item of iterate(ch, { signal: own })) {
                          received[c]?.push(item);
                          await turn(`c${c} handled ${item}`);
                        }
                      });
                    }
                  },
                  { signal },
                ),
              { name: "consumers" },
            );
            outer.spawn(
              async ({ signal }) => {
                try {
                  await nursery(
                    (producers) => {
                      counts.forEach((count, p) => {
                        tasks[p] = producers.spawn(async ({ signal: own }) => {
                          for (let i = 0; i < count; i++) {
                            const item = `p${p}:${i}`;
                            await turn(`p${p} sends ${i}`);
                            try {
                              await ch.send(item, { signal: own });
                            } catch (err) {
                              refused.push(item);
                              throw err;
                            }
                            acknowledged.push(item);
                          }
                        });
                      });
                    },
                    { signal },
                  );
                } finally {
                  ch.close();
                }
              },
              { name: "producers" },
            );
            for (const victim of victims) void turn(`cancel task ${victim}`).then(() => tasks[victim]?.cancel());
            // The cancel point: always scheduled, so consumers cancelled early cannot deadlock the run.
            void turn("cancel everything").then(() => outer.cancel());
          });
          await s.waitFor(run);

          const left = await collect(ch);
          const delivered = [...(received[0] ?? []), ...(received[1] ?? []), ...left];
          // Exactly once: nothing duplicated, nothing acknowledged lost, nothing refused delivered.
          expect(new Set(delivered).size).toBe(delivered.length);
          expect([...delivered].sort()).toEqual([...acknowledged].sort());
          for (const item of refused) expect(delivered).not.toContain(item);
          // Each consumer sees each producer's items in the order they were sent.
          for (const seen of received) {
            for (const p of [0, 1, 2]) {
              const indexes = seen.filter((item) => item.startsWith(`p${p}:`)).map((item) => Number(item.split(":")[1]));
              expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);
});

// Receives exactly `n` items (a local helper so these tests depend on nothing but the channel).
async function* take<T>(ch: AsyncIterable<T>, n: number): AsyncGenerator<T> {
  if (n === 0) return;
  let i = 0;
  for await (const item of ch) {
    yield item;
    if (++i === n) return;
  }
}

describe("channel, cancellation source first", () => {
  it("sends and receives with the task first, and a waiting receive(task) rejects with the task's cancellation", async () => {
    const ch = channel<number>(1);
    let seen: unknown;
    const got: number[] = [];
    await nursery(async (n) => {
      n.spawn(async (task) => {
        got.push(await ch.receive(task));
        try {
          await ch.receive(task);
        } catch (err) {
          seen = err;
          throw err;
        }
      });
      const sender = n.spawn((task) => ch.send(task, 7));
      await sender;
      await Promise.resolve();
      n.children[0]?.cancel();
    });
    expect(got).toEqual([7]);
    expect(seen).toBeInstanceOf(CancelledError);
  });

  it("rejects send(task, value) at once, enqueuing nothing, when the task is already cancelled", async () => {
    const ch = channel<number>(1);
    const controller = new AbortController();
    controller.abort(new Error("gone"));
    await expect(ch.send(controller.signal, 1)).rejects.toThrow("gone");
    ch.close();
    await expect(ch.receive()).rejects.toThrow(ChannelClosedError);
  });
});
