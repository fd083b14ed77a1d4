// A span processor (user code, inside the SDK) that throws from onStart or onEnd: the spans around
// it still end, the flush still runs, and the error is not swallowed.
import { afterEach, describe, expect, it } from "@jest/globals";
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { nursery, type TaskContext } from "@nursery/core";
import { spawnFixture } from "@nursery/core/testing";
import { flushBeforeExit } from "@nursery/otel";
import { recorder } from "./support.js";

/** Span names whose end throws in the processor (after the exporter's processor saw them). */
const throwOnEnd = new Set<string>();
const faulty: SpanProcessor = {
  onStart: () => undefined,
  onEnd: (span) => {
    if (throwOnEnd.has(span.name)) throw new Error(`onEnd ${span.name}`);
  },
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};
// Declared first so it runs before the recorder's, which closes the tracing (jest runs a block's
// afterEach hooks in the order they were declared).
afterEach(() => {
  throwOnEnd.clear();
});
const rec = recorder(faulty);

/** A nursery holding one task, `name`, until the returned release is called. */
function holding(name: string, nurseryName: string): { done: Promise<void>; release: () => void } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const done = nursery((n) => {
    n.spawn(() => gate, { name });
  }, { name: nurseryName });
  return { done, release };
}

describe("a span processor that throws", () => {
  it("regression: endOpenSpans still ends every other open span, then throws the processor's error", async () => {
    const tracing = rec.open();
    const held = holding("stuck", "holder");
    await null;
    throwOnEnd.add("stuck");
    expect(() => tracing.endOpenSpans("exit")).toThrow("onEnd stuck");
    expect(rec.spans().map((s) => [s.name, s.attributes["nursery.abandoned"]])).toEqual([
      ["stuck", "exit"],
      ["holder", "exit"],
    ]);
    held.release();
    await held.done;
  });

  it("regression: flushBeforeExit still flushes when ending the open spans throws, and fails main with the error", async () => {
    const tracing = rec.open();
    const held = holding("stuck", "background");
    throwOnEnd.add("stuck");
    let flushed: string[] | undefined;
    const main = flushBeforeExit(async () => "ok", {
      tracing,
      flush: () => (flushed = rec.spans().map((s) => s.name)),
    });
    const outcome = await nursery((n) => n.spawn((t: TaskContext) => main(t), { name: "main" }), { name: "root" }).catch((e: unknown) => e);
    expect(flushed).toEqual(["main", "root", "stuck", "background"]);
    expect(outcome).toMatchObject({ errors: [new Error("onEnd stuck")] });
    held.release();
    await held.done;
  });

  it("regression: from a channel subscriber, the error is uncaught and the nurseries' spans still end (onStart and onEnd)", async () => {
    const program = spawnFixture(require.resolve("./fixtures/processor-faults.mjs"));
    try {
      const exit = await program.exited;
      expect({ code: exit.code, stderr: exit.stderr }).toEqual({ code: 0, stderr: "" });
      expect(exit.stdout.trimEnd().split("\n")).toEqual([
        "uncaught onStart starts-badly",
        "uncaught onEnd ends-badly",
        "ended early early2 ends-badly fine",
        "open 0",
      ]);
    } finally {
      program.kill();
    }
  });
});
