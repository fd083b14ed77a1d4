import { describe, expect, it } from "@jest/globals";
import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import { nursery, type TaskContext } from "@nursery/core";
import { openTracing } from "@nursery/otel";
import { idOf, parentOf, recorder } from "./support.js";

const r = recorder();

/** A task that waits for its cancellation and then rejects with it, as a sleep would. */
function waitForCancel(task: TaskContext): Promise<never> {
  return new Promise((_, reject) => task.signal.addEventListener("abort", () => reject(task.signal.reason)));
}

describe("openTracing", () => {
  it("gives each task a span inside its nursery's span, and a nested nursery's span inside the enclosing task's", async () => {
    r.open();
    await nursery(
      async (n) => {
        n.spawn(
          (outer) =>
            nursery(
              (inner) => {
                inner.spawn(async () => "leaf", { name: "leaf" });
              },
              { name: "inner", signal: outer.signal },
            ),
          { name: "outer-task" },
        );
        n.spawn(async () => undefined, { name: "sibling" });
      },
      { name: "root" },
    );
    const root = r.span("root", "nursery");
    const outerTask = r.span("outer-task");
    const inner = r.span("inner", "nursery");
    const leaf = r.span("leaf");
    expect(parentOf(root)).toBeUndefined();
    expect(parentOf(outerTask)).toBe(idOf(root));
    expect(parentOf(r.span("sibling"))).toBe(idOf(root));
    expect(parentOf(inner)).toBe(idOf(outerTask));
    expect(parentOf(leaf)).toBe(idOf(inner));
    expect(new Set(r.spans().map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(leaf.attributes).toMatchObject({ "nursery.span.kind": "task", "nursery.name": "inner", "nursery.task.state": "fulfilled" });
  });

  it("ends a nursery's span after the spans of all its tasks", async () => {
    r.open();
    await nursery(
      async (n) => {
        n.spawn(async () => undefined, { name: "a" });
        n.spawn(async () => {
          await null;
          await null;
        }, { name: "b" });
      },
      { name: "pair" },
    );
    // Spans are exported as they end. (Their timestamps cannot show it: the SDK anchors each span
    // on Date.now(), so two spans' times may disagree by up to a millisecond.)
    expect(r.spans().map((s) => s.name)).toEqual(["a", "b", "pair"]);
  });

  it("records a cancellation as an event with its source and reason, and leaves the status unset", async () => {
    r.open();
    await nursery(
      async (n) => {
        n.spawn(waitForCancel, { name: "waiter" });
        await null;
        n.cancel("enough");
      },
      { name: "cancelled" },
    );
    const waiter = r.span("waiter");
    expect(waiter.status.code).toBe(SpanStatusCode.UNSET);
    expect(waiter.attributes["nursery.task.state"]).toBe("cancelled");
    expect(waiter.events.map((e) => e.name)).toEqual(["nursery.cancel"]);
    expect(waiter.events[0]?.attributes).toMatchObject({
      "nursery.cancel.source": "explicit",
      "nursery.cancel.detail": "enough",
      "nursery.cancel.message": expect.stringContaining("cancelled"),
    });
    const own = r.span("cancelled");
    expect(own.status.code).toBe(SpanStatusCode.UNSET);
    expect(own.events.map((e) => e.name)).toEqual(["nursery.cancel"]);
  });

  it("sets the error status once, on the span of the task that threw, and marks its siblings as cancelled by it", async () => {
    r.open();
    const boom = new Error("boom");
    await expect(
      nursery(
        (n) => {
          n.spawn(
            (task) =>
              nursery(
                (inner) => {
                  inner.spawn(waitForCancel, { name: "victim" });
                  inner.spawn(async () => {
                    await null;
                    throw boom;
                  }, { name: "thrower" });
                },
                { name: "inner", signal: task.signal },
              ),
            { name: "parent" },
          );
        },
        { name: "outer" },
      ),
    ).rejects.toThrow("boom");
    const thrower = r.span("thrower");
    expect(thrower.status).toEqual({ code: SpanStatusCode.ERROR, message: "boom" });
    expect(thrower.events.filter((e) => e.name === "exception")).toHaveLength(1);
    const parent = r.span("parent");
    expect(parent.attributes["nursery.task.state"]).toBe("rejected");
    expect(parent.status.code).toBe(SpanStatusCode.UNSET);
    expect(parent.events.filter((e) => e.name === "exception")).toHaveLength(0);
    const victim = r.span("victim");
    expect(victim.status.code).toBe(SpanStatusCode.UNSET);
    expect(victim.events[0]?.attributes).toMatchObject({ "nursery.cancel.source": "sibling-failed", "nursery.cancel.task": "thrower" });
    expect(r.spans().filter((s) => s.status.code === SpanStatusCode.ERROR)).toHaveLength(1);
  });

  it("records a nursery body's error on the span of the task that runs the body", async () => {
    r.open();
    const bad = new Error("body failed");
    await expect(
      nursery((n) => {
        n.spawn((task) => nursery(() => Promise.reject(bad), { name: "inner", signal: task.signal }), { name: "owner" });
      }),
    ).rejects.toThrow();
    expect(r.span("owner").status).toEqual({ code: SpanStatusCode.ERROR, message: "body failed" });
  });

  it("makes the task's span active inside the task, after awaits too, and leaves the spawner's context alone", async () => {
    r.open();
    const seen: Record<string, string | undefined> = {};
    await nursery(
      async (n) => {
        n.spawn((task) =>
          nursery(
            async (inner) => {
              inner.spawn(async () => {
                seen.sync = trace.getActiveSpan()?.spanContext().spanId;
                await new Promise((resolve) => setImmediate(resolve));
                // What an instrumented fetch does: a client span in the active context.
                const request = r.tracer.startSpan("GET /page", {}, context.active());
                request.end();
              }, { name: "fetch-page" });
              seen.body = trace.getActiveSpan()?.spanContext().spanId;
            },
            { name: "inner", signal: task.signal },
          ),
        { name: "crawler" });
      },
      { name: "root" },
    );
    const page = r.span("fetch-page");
    expect(seen.sync).toBe(idOf(page));
    expect(parentOf(r.span("GET /page"))).toBe(idOf(page));
    // The body runs in the task that opened the nursery, not in the child it just spawned.
    expect(seen.body).toBe(idOf(r.span("crawler")));
  });

  it("keeps a context set with context.with() inside a task, and gives a task spawned there its own span", async () => {
    r.open();
    const seen: Record<string, string | undefined> = {};
    await nursery(async (n) => {
      n.spawn(async (task) => {
        const phase = r.tracer.startSpan("phase", {}, context.active());
        await context.with(trace.setSpan(context.active(), phase), async () => {
          await null;
          seen.inWith = trace.getActiveSpan()?.spanContext().spanId;
          await nursery((inner) => {
            inner.spawn(() => {
              seen.child = trace.getActiveSpan()?.spanContext().spanId;
            }, { name: "child" });
          }, { signal: task.signal, name: "inner" });
        });
        phase.end();
      }, { name: "worker" });
    });
    const phase = r.span("phase");
    expect(seen.inWith).toBe(idOf(phase));
    expect(seen.child).toBe(idOf(r.span("child")));
    expect(parentOf(r.span("inner", "nursery"))).toBe(idOf(phase));
  });

  it("ends the spans still open, newest first, marked as abandoned, when endOpenSpans runs", async () => {
    const tracing = r.open();
    let release: () => void = () => undefined;
    const done = nursery(
      (n) => {
        n.spawn(() => new Promise<void>((resolve) => (release = resolve)), { name: "stubborn" });
      },
      { name: "holder" },
    );
    await null;
    tracing.endOpenSpans("exit");
    expect(r.spans().map((s) => [s.name, s.attributes["nursery.abandoned"], s.attributes["nursery.task.state"]])).toEqual([
      ["stubborn", "exit", "running"],
      ["holder", "exit", undefined],
    ]);
    release();
    await done;
    expect(r.spans()).toHaveLength(2); // settling later ends nothing twice
  });

  it("still ends the open spans newest first after many others ended between them", async () => {
    const tracing = r.open();
    const releases: Array<() => void> = [];
    const stubborn = (): Promise<void> => new Promise<void>((resolve) => releases.push(resolve));
    let ready: () => void = () => undefined;
    const spawned = new Promise<void>((resolve) => (ready = resolve));
    const done = nursery(
      async (n) => {
        for (const name of ["stubborn-1", "stubborn-2", "stubborn-3"]) {
          n.spawn(stubborn, { name });
          await nursery((quick) => {
            for (let i = 0; i < 150; i++) quick.spawn(async () => undefined, { name: "quick" });
          });
        }
        ready();
      },
      { name: "holder" },
    );
    await spawned;
    tracing.endOpenSpans("exit");
    const abandoned = r.spans().filter((s) => s.attributes["nursery.abandoned"] !== undefined);
    expect(abandoned.map((s) => [s.name, s.attributes["nursery.abandoned"]])).toEqual([
      ["stubborn-3", "exit"],
      ["stubborn-2", "exit"],
      ["stubborn-1", "exit"],
      ["holder", "exit"],
    ]);
    expect(r.spans().filter((s) => s.name === "quick")).toHaveLength(450);
    for (const release of releases) release();
    await done;
    expect(r.spans()).toHaveLength(450 + 3 + 3 + 1); // settling later ends nothing twice
  });

  it("stops recording new tasks after close()", async () => {
    const tracing = r.open();
    tracing.close();
    tracing.close();
    await nursery((n) => {
      n.spawn(() => undefined, { name: "unseen" });
    });
    expect(r.spans()).toEqual([]);
  });

  it("refuses to open a second Tracing while one is open, and opens one again after close()", () => {
    const first = r.open();
    expect(() => openTracing({ tracer: r.tracer })).toThrow("a Tracing is already open");
    first.close();
    r.open();
  });

  it("rejects a tracer that is not one with the house TypeError", () => {
    expect(() => openTracing({ tracer: 42 as never })).toThrow(
      new TypeError("Expected `options.tracer` to be an OpenTelemetry Tracer, got `42` (number)"),
    );
  });
});
