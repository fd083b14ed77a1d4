// Issue 17: an unlinked nursery opened inside a running task is reported once per definition site
// when currentTask() is on (docs/design/decisions/core-structural-nesting.md).
import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { nursery, type TaskContext } from "@nursery/core";
import { enableCurrentTask } from "@nursery/core/debug";

afterEach(() => {
  jest.restoreAllMocks();
});

describe("the unlinked-nursery warning", () => {
  it("names the nursery, the task and both definition sites, once per definition site", async () => {
    enableCurrentTask();
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const openUnlinked = (): Promise<number> => nursery(() => 1, { name: "lookups" });
    await nursery(async (n) => {
      await n.spawn(async function handler() {
        await openUnlinked();
        await openUnlinked();
      });
    });
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]?.[0]);
    // Definition sites come from the inspector, which cannot see functions in jest's vm context;
    // in a plain Node process each name is followed by "(defined at file:line:col)".
    expect(message).toMatch(/nursery "lookups"( \(defined at [^)]+\))? was opened inside task "handler"( \(defined at [^)]+\))? without a parent/);
    expect(message).toContain("nursery(task, body)");
  });

  it("stays silent for a nursery opened with its task, with a foreign signal, or outside any task", async () => {
    enableCurrentTask();
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const controller = new AbortController();
    await nursery(() => 0);
    await nursery(async (n) => {
      await n.spawn(async (task: TaskContext) => {
        await nursery(task, () => 1);
        await nursery(() => 2, { signal: controller.signal });
      });
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it("regression: shows the nursery's and the task's names escaped, on one line", async () => {
    enableCurrentTask();
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    await nursery(async (n) => {
      await n.spawn(async function hostile() {
        await nursery(() => "hostile", { name: "inner\x1b]0;owned\x07" });
      }, { name: "task\nforged line" });
    });
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]?.[0]);
    expect(message).toMatch(/nursery "inner\\x1b\]0;owned\\x07"( \(defined at [^)]+\))? was opened inside task "task\\nforged line"/);
    expect(message).not.toMatch(/[\n\x1b\x07]/);
  });
});
