// A nursery's span runs from its opening to its settling (core's nursery:open / nursery:close),
// encloses every child's span, and is one span across idle moments; under run() too.
import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { SpanStatusCode, TraceFlags, trace, type Span, type Tracer } from "@opentelemetry/api";
import { AlwaysOffSampler, BasicTracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { nursery, run, type TaskContext } from "@nursery/core";
import { openTracing } from "@nursery/otel";
import { idOf, parentOf, recorder } from "./support.js";

const r = recorder();
afterEach(() => {
  jest.restoreAllMocks();
});

/** Every span whose parent is `span` ended before it did, and there is at least one. */
function expectEncloses(span: ReadableSpan): void {
  const children = r.spans().filter((s) => parentOf(s) === idOf(span));
  expect(children.length).toBeGreaterThan(0);
  for (const child of children) expect(r.endedAt(span)).toBeGreaterThanOrEqual(r.endedAt(child));
  const order = r.spans();
  for (const child of children) expect(order.indexOf(span)).toBeGreaterThan(order.indexOf(child));
}

/** A crawler: main opens "crawler", whose task "crawl" opens "pages", which falls idle between its pages. */
async function crawler(task: TaskContext, fail: boolean): Promise<void> {
  await nursery(
    (n) => {
      n.spawn(
        (crawl) =>
          nursery(
            async (pages) => {
              await pages.spawn(async () => "a", { name: "page-1" });
              await new Promise((resolve) => setImmediate(resolve)); // "pages" is idle here
              pages.spawn(async () => {
                await null;
                if (fail) throw new Error("page 2 failed");
              }, { name: "page-2" });
              pages.spawn((t) => new Promise((_, reject) => t.signal.addEventListener("abort", () => reject(t.signal.reason))), {
                name: "page-3",
              });
              if (!fail) {
                await null;
                await null;
                pages.cancel("enough");
              }
            },
            { name: "pages", signal: crawl.signal },
          ),
        { name: "crawl" },
      );
    },
    { name: "crawler", signal: task.signal },
  );
}

describe("nursery spans from nursery:open to nursery:close", () => {
  it("under run(), nests main, its nurseries and their tasks, each nursery's span ending after all its children's", async () => {
    r.open();
    const code = await run((task) => crawler(task, false), { exit: false });
    expect(code).toBe(0);
    const root = r.span("main", "nursery");
    const main = r.span("main", "task");
    const crawlerSpan = r.span("crawler", "nursery");
    const crawl = r.span("crawl", "task");
    const pages = r.span("pages", "nursery"); // one span, though it fell idle after page-1
    expect(parentOf(root)).toBeUndefined();
    expect(parentOf(main)).toBe(idOf(root));
    expect(parentOf(crawlerSpan)).toBe(idOf(main));
    expect(parentOf(crawl)).toBe(idOf(crawlerSpan));
    expect(parentOf(pages)).toBe(idOf(crawl));
    for (const name of ["page-1", "page-2", "page-3"]) expect(parentOf(r.span(name))).toBe(idOf(pages));
    for (const span of [root, crawlerSpan, pages]) expectEncloses(span);
    expect(r.endedAt(main)).toBeGreaterThanOrEqual(r.endedAt(crawlerSpan));
    expect(r.endedAt(crawl)).toBeGreaterThanOrEqual(r.endedAt(pages));
    expect(r.span("page-3").attributes["nursery.task.state"]).toBe("cancelled");
    expect(r.spans().filter((s) => s.status.code === SpanStatusCode.ERROR)).toEqual([]);
  });

  it("under run(), with a failing task: one error status, on the task that threw; every nursery still encloses its children", async () => {
    r.open();
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    const code = await run((task) => crawler(task, true), { exit: false });
    stderr.mockRestore();
    expect(code).toBe(1);
    const errors = r.spans().filter((s) => s.status.code === SpanStatusCode.ERROR);
    expect(errors.map((s) => [s.name, s.status.message])).toEqual([["page-2", "page 2 failed"]]);
    for (const name of ["pages", "crawler"]) {
      expect(r.span(name, "nursery").status.code).toBe(SpanStatusCode.UNSET);
      expectEncloses(r.span(name, "nursery"));
    }
    expectEncloses(r.span("main", "nursery"));
    expect(r.span("page-3").events[0]?.attributes).toMatchObject({ "nursery.cancel.source": "sibling-failed", "nursery.cancel.task": "page-2" });
    for (const name of ["crawl", "main"]) expect(r.span(name, "task").attributes["nursery.task.state"]).toBe("rejected");
  });

  it("records a top-level nursery body's error on the nursery's own span, since no task ran the body", async () => {
    r.open();
    await expect(
      nursery(async (n) => {
        n.spawn(async () => "fine", { name: "fine" });
        throw new Error("body failed");
      }, { name: "top" }),
    ).rejects.toThrow();
    expect(r.span("top").status).toEqual({ code: SpanStatusCode.ERROR, message: "body failed" });
    expect(r.spans().filter((s) => s.status.code === SpanStatusCode.ERROR)).toHaveLength(1);
    expectEncloses(r.span("top"));
  });
});

describe("a sampled-out nursery", () => {
  it("starts no span per task: its tasks, and the nurseries they open, run in its non-recording span's context", async () => {
    const provider = new BasicTracerProvider({ sampler: new AlwaysOffSampler() });
    const real = provider.getTracer("off");
    const started: string[] = [];
    const tracer: Tracer = {
      startSpan: (name, options, ctx) => {
        started.push(name);
        return real.startSpan(name, options, ctx);
      },
      startActiveSpan: real.startActiveSpan.bind(real) as Tracer["startActiveSpan"],
    };
    const tracing = openTracing({ tracer });
    try {
      const seen: Array<Span | undefined> = [];
      await nursery(async (n) => {
        for (let i = 0; i < 3; i++) {
          n.spawn((task) =>
            nursery((inner) => {
              seen.push(trace.getActiveSpan());
              inner.spawn(() => void seen.push(trace.getActiveSpan()));
            }, { name: "inner", signal: task.signal }),
          );
        }
      }, { name: "outer" });
      expect(started).toEqual(["outer", "inner", "inner", "inner"]);
      expect(seen).toHaveLength(6);
      for (const span of seen) {
        expect(span?.isRecording()).toBe(false);
        expect(span?.spanContext().traceFlags).toBe(TraceFlags.NONE);
      }
    } finally {
      tracing.close();
    }
  });
});
