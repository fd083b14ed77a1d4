// The language features the docs say each runtime has: asserted, so the table cannot drift.
import { runtime } from "../runtime.mjs";
import { nativeUsing } from "../expected.mjs";
import { test, assert } from "../harness.mjs";

const AsyncFunction = (async () => undefined).constructor;

test(`features: ${runtime.name} ${runtime.version} ${nativeUsing ? "has" : "lacks"} native using, await using and SuppressedError`, async () => {
  const parses = (make) => {
    try {
      make();
      return true;
    } catch (err) {
      assert.ok(err instanceof SyntaxError, `expected a SyntaxError, got ${err}`);
      return false;
    }
  };
  assert.equal(parses(() => new Function("{ using x = null; }")), nativeUsing);
  assert.equal(parses(() => new AsyncFunction("{ await using x = null; }")), nativeUsing);
  assert.equal(typeof globalThis.SuppressedError === "function", nativeUsing);
  // Symbol.dispose / asyncDispose exist everywhere this library runs (Node 20 ships them too), so
  // `openNursery()[Symbol.asyncDispose]` works where the syntax does not.
  assert.equal(typeof Symbol.asyncDispose, "symbol");
  assert.equal(typeof Symbol.dispose, "symbol");
});
