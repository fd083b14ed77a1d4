import { describe, expect, it } from "@jest/globals";
import { isCancellation, nursery } from "../src/index.js";
import { render } from "../src/tree.js";

const forever = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));

describe("straggler paths", () => {
  it("regression: a name holding / or \\ stays one level of the path, escaped", async () => {
    let paths: string[] = [];
    await nursery(
      async (n) => {
        n.spawn((t) => forever(t.signal), { name: "GET /a/b" });
        await nursery(n, async (inner) => {
          inner.spawn((t) => forever(t.signal), { name: "c:\\x" });
          paths = render(n, undefined, true).tasks.map((s) => s.path);
          n.cancel();
        }, { name: "in/ner" });
      },
      { name: "app/1" },
    ).catch((error: unknown) => {
      // The test cancels the nursery to end it; anything else is a failure.
      if (!isCancellation(error)) throw error;
    });
    expect(paths).toEqual(["app\\/1/in\\/ner/c:\\\\x", "app\\/1/GET \\/a\\/b"]);
  });
});
