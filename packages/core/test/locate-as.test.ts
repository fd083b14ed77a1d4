import { describe, expect, it } from "@jest/globals";
import { nursery, type TaskContext } from "@nursery/core";
import { locateAs } from "@nursery/core/adapter";
import { dumpTree } from "@nursery/core/debug";

const forever = (task: TaskContext): Promise<never> =>
  new Promise((_, reject) => task.signal.addEventListener("abort", () => reject(task.signal.reason)));

function userHandler(): void {}
function otherAdapterWrapper(): void {}

describe("locateAs (adapter kit)", () => {
  it("makes the tree show the named function's site for a task spawned with the wrapper, or no site with null", async () => {
    let tree = "";
    await nursery(async (n) => {
      const wrapper = (task: TaskContext): Promise<never> => forever(task);
      expect(locateAs(wrapper, userHandler)).toBe(wrapper); // the same function, marked
      n.spawn(wrapper, { name: "request" });
      n.spawn(locateAs((task: TaskContext) => forever(task), null), { name: "bookkeeping" });
      n.spawn(locateAs((task: TaskContext) => forever(task), locateAs(otherAdapterWrapper, userHandler)), { name: "nested" });
      n.spawn(function plain(task: TaskContext) {
        return forever(task);
      });
      tree = dumpTree(n, { locate: (fn) => `site-of-${fn.name}` });
      n.cancel();
    }).catch(() => undefined);
    const lines = tree.split("\n").map((l) => l.replace(/\[[^\]]*\]/, "[]"));
    expect(lines.slice(1)).toEqual([
      "├─ request [] at site-of-userHandler",
      "├─ bookkeeping []",
      "├─ nested [] at site-of-userHandler",
      "└─ plain [] at site-of-plain",
    ]);
  });

  it("throws a TypeError naming a wrapper that is not a function or a target that is neither a function nor null", () => {
    expect(() => locateAs(42 as unknown as () => void, null)).toThrow(TypeError);
    expect(() => locateAs(42 as unknown as () => void, null)).toThrow(/wrapper/);
    expect(() => locateAs(() => undefined, "here" as unknown as null)).toThrow("Expected `target` to be a function or null, got `\"here\"` (string)");
    expect(() => locateAs(() => undefined, undefined as unknown as null)).toThrow(TypeError);
  });
});
