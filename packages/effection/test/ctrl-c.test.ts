import { afterEach, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { spawnFixture, type Fixture } from "@nursery/core/testing";

// The fixture imports the built packages (packages/*/dist): run `npx tsc -b` first.
const fixture = join(__dirname, "fixtures", "ctrl-c.mjs");

let app: Fixture | undefined;
afterEach(() => {
  app?.kill();
  app = undefined;
});

describe("Ctrl+C under run()", () => {
  it("cleans up everything, across both boundaries, with an effection operation inside (real process)", async () => {
    app = spawnFixture(fixture);
    await app.waitForLine("ready", { timeout: 10_000 });
    app.signal("SIGINT");
    const exit = await app.exited;
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 130, signal: null });
    const cleanup = exit.stdout.split("\n").filter((line) => line.startsWith("cleanup: "));
    expect(cleanup).toEqual([
      // The effection operation is the newest child of the app nursery: torn down first, in
      // effection's own LIFO order, with the inner nursery at its place in that order.
      "cleanup: effection body finally",
      "cleanup: effection ensure (registered last, async)",
      "cleanup: inner nursery task (async)",
      "cleanup: effection ensure (registered first)",
      // Then the older nursery child, then the nursery's body.
      "cleanup: plain task (spawned first)",
      "cleanup: app nursery body",
    ]);
  }, 20_000);
});
