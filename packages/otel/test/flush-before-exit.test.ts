import { afterEach, describe, expect, it } from "@jest/globals";
import { nursery, NurseryError, TimeoutError, type TaskContext } from "@nursery/core";
import { spawnFixture, type Fixture } from "@nursery/core/testing";
import { flushBeforeExit } from "@nursery/otel";
import { recorder } from "./support.js";

const fixture = require.resolve("./fixtures/traced-run.mjs");
const running: Fixture[] = [];
afterEach(() => {
  for (const f of running.splice(0)) f.kill();
});
function start(mode: string): Fixture {
  const f = spawnFixture(fixture, { args: [mode] });
  running.push(f);
  return f;
}
function lines(text: string): string[] {
  return text.trimEnd().split("\n");
}

const r = recorder();

/** The straggler fixture's spans, ended by the shutdown timeout after the flush. Reverse order
 * still waits for stubborn: worker was never asked to stop. */
const STRAGGLER_SPANS = [
  "span stubborn task running shutdown-timeout cancel:signal:SIGTERM",
  "span worker task running shutdown-timeout",
  "span work nursery - shutdown-timeout cancel:signal:SIGTERM",
  "span main task running shutdown-timeout cancel:signal:SIGTERM",
  "span main nursery - shutdown-timeout cancel:signal:SIGTERM",
];

describe("flushBeforeExit under run()", () => {
  it("flushes after every cleanup and exports main's and the root's spans before the program exits 0", async () => {
    const exit = await start("success").exited;
    expect({ code: exit.code, stderr: exit.stderr }).toEqual({ code: 0, stderr: "" });
    expect(lines(exit.stdout)).toEqual([
      "cleanup worker",
      "flush",
      "span worker task fulfilled -",
      "span work nursery - -",
      "span main task fulfilled -",
      "span main nursery - -",
    ]);
  });

  it("flushes after the cancelled tasks' cleanup on Ctrl+C, spans marked cancelled by SIGINT, and exits 130", async () => {
    const program = start("signal");
    await program.waitForLine("ready");
    program.signal("SIGINT");
    const exit = await program.exited;
    expect(exit.code).toBe(130);
    expect(lines(exit.stdout)).toEqual([
      "ready",
      "cleanup worker",
      "flush",
      "span worker task cancelled - cancel:signal:SIGINT",
      "span work nursery - - cancel:signal:SIGINT",
      "span main task cancelled - cancel:signal:SIGINT",
      "span main nursery - - cancel:signal:SIGINT",
    ]);
  });

  // Each straggler program flushes, then its spans end with the shutdown timeout's exit 1.
  it.each([
    ["ends and flushes the spans of a task that ignores its cancellation before the shutdown timeout exits 1", "straggler", /shutdown did not finish within 1500 ms/],
    ["regression: still flushes the stragglers' spans when a span processor throws as one of them ends, and reports the error", "straggler-faulty", /onEnd of stubborn failed/],
  ])("%s", async (_title, mode, stderr) => {
    const program = start(mode);
    await program.waitForLine("ready");
    program.signal("SIGTERM");
    const exit = await program.exited;
    expect(exit.code).toBe(1);
    expect(lines(exit.stdout)).toEqual(["ready", "flush", ...STRAGGLER_SPANS]);
    expect(exit.stderr).toMatch(stderr);
  });
});

describe("flushBeforeExit", () => {
  /** Runs `fn` as a task, as run() runs main. */
  const asTask = <T>(fn: (task: TaskContext) => Promise<T>): Promise<T> => nursery((n) => n.spawn(fn));

  it("passes main's error on after the flush", async () => {
    const log: string[] = [];
    const failed = new Error("main failed");
    const main = flushBeforeExit(
      () => {
        log.push("main");
        return Promise.reject(failed);
      },
      { flush: () => log.push("flush") },
    );
    await expect(asTask(main)).rejects.toMatchObject({ errors: [failed] });
    expect(log).toEqual(["main", "flush"]);
  });

  it("fails main with the flush's error, and reports both when main failed too", async () => {
    const flushFailed = new Error("exporter down");
    const flush = (): Promise<never> => Promise.reject(flushFailed);
    await expect(asTask(flushBeforeExit(async () => "ok", { flush }))).rejects.toMatchObject({ errors: [flushFailed] });
    const mainFailed = new Error("main failed");
    const both = await asTask(flushBeforeExit(() => Promise.reject(mainFailed), { flush })).catch((e: unknown) => e);
    expect(both).toBeInstanceOf(NurseryError);
    expect(((both as NurseryError).errors[0] as NurseryError).errors).toEqual([mainFailed, flushFailed]);
  });

  it("fails with TimeoutError when the flush takes longer than its timeout", async () => {
    const main = flushBeforeExit(async () => "ok", { flush: () => new Promise(() => undefined), timeout: 1 });
    const err = await asTask(main).catch((e: unknown) => (e as NurseryError).errors[0]);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).scope).toBe("flush");
  });

  it("ends main's span with main's outcome before the flush, so the flush exports it", async () => {
    const tracing = r.open();
    let exported: string[] = [];
    const main = flushBeforeExit(async () => "ok", { tracing, flush: () => (exported = r.spans().map((s) => s.name)) });
    await nursery((n) => n.spawn(main, { name: "main" }), { name: "root" });
    expect(exported).toEqual(["main", "root"]);
    expect(r.span("main").attributes["nursery.task.state"]).toBe("fulfilled");
  });

  it("rejects options without a flush function with the house TypeError", () => {
    expect(() => flushBeforeExit(async () => undefined, { flush: "soon" as never })).toThrow(
      new TypeError('Expected `options.flush` to be a function, got `"soon"` (string)'),
    );
  });
});
