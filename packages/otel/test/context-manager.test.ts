import { describe, expect, it } from "@jest/globals";
import { ROOT_CONTEXT, context, trace } from "@opentelemetry/api";
import { nursery } from "@nursery/core";
import { idOf, parentOf, recorder } from "./support.js";

const r = recorder();

describe("NurseryContextManager", () => {
  it("puts a nursery opened outside any task under the span active there, e.g. a request's", async () => {
    r.open();
    await r.tracer.startActiveSpan("GET /crawl", async (request) => {
      await nursery((n) => {
        n.spawn(() => undefined, { name: "work" });
      }, { name: "handler" });
      request.end();
    });
    expect(parentOf(r.span("handler"))).toBe(idOf(r.span("GET /crawl")));
    expect(parentOf(r.span("work"))).toBe(idOf(r.span("handler")));
  });

  it("binds a function to a context, whoever calls it later", async () => {
    r.open();
    const marker = r.tracer.startSpan("marker");
    const bound = context.bind(trace.setSpan(ROOT_CONTEXT, marker), () => trace.getActiveSpan());
    let seen: unknown;
    await nursery((n) => {
      n.spawn(() => {
        seen = bound();
      }, { name: "caller" });
    });
    marker.end();
    expect(seen).toBe(marker);
  });

  it("has no active span outside tasks and outside context.with()", () => {
    expect(trace.getActiveSpan()).toBeUndefined();
    expect(context.active()).toBe(ROOT_CONTEXT);
  });
});
