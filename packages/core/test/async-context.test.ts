// A user's own AsyncLocalStorage and tasks: spawn() runs the task's function synchronously in the
// caller's async context, so a child inherits the store of the code that spawned it, and wrapping
// one spawn in `storage.run()` overrides it for that child alone. enableCurrentTask() is not called
// here: these tests are about a store the library does not know about.
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "@jest/globals";
import { nursery } from "@nursery/core";
import { flush } from "./support.js";

const storage = new AsyncLocalStorage<string>();

/** Records the store's value now, after an event-loop turn, and after a nested async call. */
async function observe(label: string, log: string[]): Promise<void> {
  log.push(`${label}: ${String(storage.getStore())}`);
  await flush(1);
  log.push(`${label} after a turn: ${String(storage.getStore())}`);
  const deep = async (): Promise<string | undefined> => {
    await Promise.resolve();
    return storage.getStore();
  };
  log.push(`${label} in a nested call: ${String(await deep())}`);
}

describe("a user's AsyncLocalStorage", () => {
  it("gives a child spawned inside storage.run() that value, across awaits", async () => {
    const log: string[] = [];
    await nursery(async (n) => {
      storage.run("inner", () => n.spawn(() => observe("child", log)));
    });
    expect(log).toEqual(["child: inner", "child after a turn: inner", "child in a nested call: inner"]);
  });

  it("gives a child spawned outside storage.run() the value around the spawn, not a sibling's override", async () => {
    const log: string[] = [];
    await storage.run("outer", () =>
      nursery(async (n) => {
        storage.run("inner", () => n.spawn(() => observe("wrapped", log)));
        n.spawn(() => observe("plain", log));
        await flush(1);
        n.spawn(() => observe("later", log));
      }),
    );
    expect(log.filter((line) => !line.startsWith("wrapped"))).toEqual([
      "plain: outer",
      "plain after a turn: outer",
      "plain in a nested call: outer",
      "later: outer",
      "later after a turn: outer",
      "later in a nested call: outer",
    ]);
    expect(log.filter((line) => line.startsWith("wrapped"))).toEqual([
      "wrapped: inner",
      "wrapped after a turn: inner",
      "wrapped in a nested call: inner",
    ]);
  });

  it("gives each spawn the value of its own storage.run(), for siblings in one nursery", async () => {
    const log: string[] = [];
    await nursery(async (n) => {
      storage.run("one", () => n.spawn(() => observe("first", log)));
      storage.run("two", () => n.spawn(() => observe("second", log)));
    });
    expect(log.filter((line) => line.startsWith("first"))).toEqual([
      "first: one",
      "first after a turn: one",
      "first in a nested call: one",
    ]);
    expect(log.filter((line) => line.startsWith("second"))).toEqual([
      "second: two",
      "second after a turn: two",
      "second in a nested call: two",
    ]);
  });
});
