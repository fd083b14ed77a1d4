// The live-children list (src/internal/child-list.ts): O(1) add and remove anywhere, newest = tail.
import { describe, expect, it } from "@jest/globals";
import { ChildList, ListLinks } from "../src/internal/child-list.js";

class Child extends ListLinks {
  constructor(readonly id: string) {
    super();
  }
}

function ids(list: ChildList<Child>): string[] {
  const out: string[] = [];
  list.forEach((c) => out.push(c.id));
  return out;
}

describe("ChildList", () => {
  it("keeps children oldest first and gives the newest as its tail", () => {
    const list = new ChildList<Child>();
    expect(list.empty).toBe(true);
    const [a, b, c] = [new Child("a"), new Child("b"), new Child("c")];
    list.add(a);
    list.add(b);
    list.add(c);
    expect(ids(list)).toEqual(["a", "b", "c"]);
    expect(list.tail).toBe(c);
    expect(list.empty).toBe(false);
  });

  it("unlinks a child from the middle, the head or the tail and clears its links", () => {
    const list = new ChildList<Child>();
    const [a, b, c, d] = [new Child("a"), new Child("b"), new Child("c"), new Child("d")];
    for (const child of [a, b, c, d]) list.add(child);
    list.remove(b);
    expect(ids(list)).toEqual(["a", "c", "d"]);
    expect(b.prev).toBeUndefined();
    expect(b.next).toBeUndefined();
    list.remove(a);
    list.remove(d);
    expect(ids(list)).toEqual(["c"]);
    expect(list.head).toBe(c);
    expect(list.tail).toBe(c);
    list.remove(c);
    expect(list.empty).toBe(true);
    expect(list.tail).toBeUndefined();
  });

  it("finds the newest child not in a skip set", () => {
    const list = new ChildList<Child>();
    const [a, b, c] = [new Child("a"), new Child("b"), new Child("c")];
    for (const child of [a, b, c]) list.add(child);
    expect(list.newest(undefined)).toBe(c);
    expect(list.newest(new Set([c]))).toBe(b);
    expect(list.newest(new Set([a, b, c]))).toBeUndefined();
  });

  it("visits a child added during forEach", () => {
    const list = new ChildList<Child>();
    list.add(new Child("a"));
    const seen: string[] = [];
    list.forEach((child) => {
      seen.push(child.id);
      if (child.id === "a") list.add(new Child("b"));
    });
    expect(seen).toEqual(["a", "b"]);
  });
});
