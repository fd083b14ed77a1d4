// The contract with core's `nursery:open` / `nursery:close` channels, by their payloads: { nursery }
// when it opens, { nursery, ok, outcome } once settled. Core publishes them too (a repeated open
// or close is ignored); here they are also published by hand, at chosen moments.
import { describe, expect, it } from "@jest/globals";
import { channel } from "node:diagnostics_channel";
import { SpanStatusCode } from "@opentelemetry/api";
import { CancelledError, NurseryError, openNursery } from "@nursery/core";
import { idOf, parentOf, recorder } from "./support.js";

const r = recorder();
const open = channel("nursery:open");
const close = channel("nursery:close");

describe("openTracing with nursery:open and nursery:close", () => {
  it("spans a nursery from its opening to its settling, even across idle moments", async () => {
    r.open();
    const n = openNursery({ name: "long-lived" });
    open.publish({ nursery: n });
    await n.spawn(async () => undefined, { name: "first" });
    expect(r.spans().map((s) => s.name)).toEqual(["first"]); // idle, not ended
    await n.spawn(async () => undefined, { name: "second" });
    await n[Symbol.asyncDispose]();
    close.publish({ nursery: n, ok: true, outcome: undefined });
    expect(r.spans().map((s) => s.name)).toEqual(["first", "second", "long-lived"]);
    expect(parentOf(r.span("second"))).toBe(idOf(r.span("long-lived")));
  });

  it("records a body's error on the nursery's span, once, and an outside cancellation as none", () => {
    r.open();
    const failed = openNursery({ name: "failed" });
    open.publish({ nursery: failed });
    const bodyError = new Error("body failed");
    close.publish({ nursery: failed, ok: false, outcome: new NurseryError([bodyError], "failed") });
    expect(r.span("failed").status).toEqual({ code: SpanStatusCode.ERROR, message: "body failed" });

    const cancelled = openNursery({ name: "cancelled" });
    open.publish({ nursery: cancelled });
    close.publish({ nursery: cancelled, ok: false, outcome: new CancelledError({ source: "parent", detail: undefined, nursery: "cancelled", task: undefined }) });
    expect(r.span("cancelled").status.code).toBe(SpanStatusCode.UNSET);
  });
});
