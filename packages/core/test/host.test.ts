// The modules package.json `imports` chooses per runtime (src/internal/host/): jest runs the Node
// variants everywhere else; the neutral ones (browsers, workerd) are tested here directly, and for
// real in runtimes/test/browser.test.ts and workerd.test.ts.
import { describe, expect, it, jest } from "@jest/globals";
import { AsyncLocalStorage as neutralStorage } from "../src/internal/host/async-local-storage.neutral.js";
import { channel as neutralChannel } from "../src/internal/host/diagnostics-channel.neutral.js";
import { run as neutralRun } from "../src/internal/host/run.neutral.js";
import { channels, run } from "@nursery/core";
import { channel as nodeChannel } from "node:diagnostics_channel";

describe("in-process diagnostics channel (neutral)", () => {
  it("delivers each message to every subscriber in subscription order with the channel's name", () => {
    const ch = neutralChannel("test:order");
    const log: string[] = [];
    const a = (m: unknown, name: string | symbol): number => log.push(`a ${String(m)} ${String(name)}`);
    const b = (m: unknown): number => log.push(`b ${String(m)}`);
    expect(ch.hasSubscribers).toBe(false);
    ch.subscribe(a);
    ch.subscribe(b);
    expect(ch.hasSubscribers).toBe(true);
    ch.publish(1);
    ch.unsubscribe(a);
    ch.publish(2);
    ch.unsubscribe(b);
    expect(ch.hasSubscribers).toBe(false);
    ch.publish(3);
    expect(log).toEqual(["a 1 test:order", "b 1", "b 2"]);
  });

  it("returns the same channel for the same name, as Node's registry does", () => {
    expect(neutralChannel("test:same")).toBe(neutralChannel("test:same"));
    expect(neutralChannel("test:same")).not.toBe(neutralChannel("test:other"));
  });

  it("keeps publishing to the others when a subscriber throws, and rethrows its error in a microtask", () => {
    const ch = neutralChannel("test:throws");
    const boom = new Error("subscriber bug");
    const later: (() => void)[] = [];
    const spy = jest.spyOn(globalThis, "queueMicrotask").mockImplementation((fn) => later.push(fn));
    const seen: unknown[] = [];
    const bad = (): never => {
      throw boom;
    };
    const good = (m: unknown): number => seen.push(m);
    ch.subscribe(bad);
    ch.subscribe(good);
    try {
      expect(() => ch.publish("x")).not.toThrow();
    } finally {
      spy.mockRestore();
      ch.unsubscribe(bad);
      ch.unsubscribe(good);
    }
    expect(seen).toEqual(["x"]);
    expect(later).toHaveLength(1);
    expect(() => later[0]!()).toThrow(boom);
  });

  it("lets a subscriber unsubscribe another during a publish without skipping anyone in that publish", () => {
    const ch = neutralChannel("test:during");
    const log: string[] = [];
    const second = (): number => log.push("second");
    const first = (): void => {
      log.push("first");
      ch.unsubscribe(second);
    };
    ch.subscribe(first);
    ch.subscribe(second);
    ch.publish(null);
    ch.publish(null);
    ch.unsubscribe(first);
    expect(log).toEqual(["first", "second", "first"]);
  });
});

describe("Node variants", () => {
  it("publishes core's channels on node:diagnostics_channel", () => {
    expect(channels.spawn).toBe(nodeChannel("nursery:spawn"));
  });

  it("exports the real run() from the main entry", async () => {
    await expect(run(() => undefined, { exit: false, signals: [], catchUncaught: false })).resolves.toBe(0);
  });
});

describe("neutral stand-ins", () => {
  it("run() throws ERR_UNSUPPORTED_RUNTIME at once, naming what it needs and what to use", () => {
    let thrown: unknown;
    try {
      void neutralRun(() => undefined);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).toMatchObject({
      code: "ERR_UNSUPPORTED_RUNTIME",
      message:
        "run() needs process signals and an exit code (Node, Bun, Deno), which this runtime does not provide; use `nursery(main, { signal })` with the signal that ends your page or request",
    });
  });

  it("has no AsyncLocalStorage, so enableCurrentTask() throws there and currentTask() stays undefined", () => {
    let core: { enableCurrentTask: () => void; currentTask: () => unknown } | undefined;
    jest.isolateModules(() => {
      jest.doMock("#core-host/async-local-storage", () => ({ AsyncLocalStorage: neutralStorage }));
      core = require("../src/current-task.js") as typeof core;
    });
    jest.dontMock("#core-host/async-local-storage");
    expect(() => core!.enableCurrentTask()).toThrow(
      expect.objectContaining({
        code: "ERR_UNSUPPORTED_RUNTIME",
        message:
          "enableCurrentTask() needs AsyncLocalStorage (Node, Bun, Deno), which this runtime does not provide; pass the task's signal down instead",
      }),
    );
    expect(core!.currentTask()).toBeUndefined();
  });
});
