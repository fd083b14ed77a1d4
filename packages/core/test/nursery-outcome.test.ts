// The table of how a nursery settles (src/internal/nursery-outcome.ts; docs/design/lifecycle.md):
// real errors, then an outside cancellation, then the nursery's own timeout, then the body's value.
import { describe, expect, it } from "@jest/globals";
import { CancelledError, NurseryError, TimeoutError } from "../src/errors.js";
import { decideOutcome, type OutcomeInputs } from "../src/internal/nursery-outcome.js";

const outsideReason = new CancelledError({ source: "signal", detail: "SIGINT" });
const selfReason = new CancelledError({ source: "explicit", nursery: "n" });
const timeoutReason = new CancelledError({ source: "deadline", detail: 50, nursery: "n" });
const failure = new Error("boom");
const failureReason = new CancelledError({ source: "sibling-failed", detail: failure, nursery: "n" });

function inputs(over: Partial<OutcomeInputs>): OutcomeInputs {
  return { name: "n", timeout: 50, cancelledBy: undefined, reason: undefined, errors: undefined, outside: undefined, value: "body", ...over };
}

describe("decideOutcome", () => {
  it("resolves with the body's value when nothing cancelled the nursery", () => {
    expect(decideOutcome(inputs({}))).toEqual({ ok: true, value: "body" });
  });

  it("resolves with the body's value when the nursery cancelled itself", () => {
    expect(decideOutcome(inputs({ cancelledBy: "self", reason: selfReason }))).toEqual({ ok: true, value: "body" });
  });

  it("rejects with a NurseryError listing the errors, in order, when there are real errors", () => {
    const second = new Error("second");
    const { ok, value } = decideOutcome(inputs({ cancelledBy: "failure", reason: failureReason, errors: [failure, second] }));
    expect(ok).toBe(false);
    expect(value).toBeInstanceOf(NurseryError);
    expect((value as NurseryError).errors).toEqual([failure, second]);
    expect((value as NurseryError).nursery).toBe("n");
    expect((value as NurseryError).cause).toBeUndefined();
  });

  it("keeps the nursery's TimeoutError as the cause of its NurseryError when its timeout came first", () => {
    const { value } = decideOutcome(inputs({ cancelledBy: "timeout", reason: timeoutReason, errors: [failure] }));
    expect(value).toBeInstanceOf(NurseryError);
    const cause = (value as NurseryError).cause as TimeoutError;
    expect(cause).toBeInstanceOf(TimeoutError);
    expect(cause.timeout).toBe(50);
    expect(cause.scope).toBe("n");
  });

  it("does not keep an outside cancellation as the cause of its NurseryError", () => {
    const outside = { aborted: true, reason: outsideReason };
    const { value } = decideOutcome(inputs({ cancelledBy: "outside", reason: outsideReason, errors: [failure], outside }));
    expect(value).toBeInstanceOf(NurseryError);
    expect((value as NurseryError).cause).toBeUndefined();
  });

  it("rejects with the outside reason itself when the outside signal cancelled the nursery", () => {
    const outside = { aborted: true, reason: outsideReason };
    expect(decideOutcome(inputs({ cancelledBy: "outside", reason: outsideReason, outside }))).toEqual({ ok: false, value: outsideReason });
  });

  it("rejects with the outside cancellation when the outside signal aborted after the timeout", () => {
    const outside = { aborted: true, reason: outsideReason };
    const { ok, value } = decideOutcome(inputs({ cancelledBy: "timeout", reason: timeoutReason, outside }));
    expect(ok).toBe(false);
    expect(value).toBe(outsideReason);
  });

  it("rejects with the outside cancellation when the outside signal aborted after cancel()", () => {
    const outside = { aborted: true, reason: outsideReason };
    expect(decideOutcome(inputs({ cancelledBy: "self", reason: selfReason, outside })).value).toBe(outsideReason);
  });

  it("wraps a foreign outside reason in a CancelledError of source parent", () => {
    const foreign = new Error("request aborted");
    const { ok, value } = decideOutcome(inputs({ cancelledBy: "self", reason: selfReason, outside: { aborted: true, reason: foreign } }));
    expect(ok).toBe(false);
    expect(value).toBeInstanceOf(CancelledError);
    expect((value as CancelledError).reason).toEqual({ source: "parent", detail: foreign, nursery: "n", task: undefined });
  });

  it("rejects with a TimeoutError when the nursery's own timeout cancelled it", () => {
    const { ok, value } = decideOutcome(inputs({ cancelledBy: "timeout", reason: timeoutReason, outside: { aborted: false } }));
    expect(ok).toBe(false);
    expect(value).toBeInstanceOf(TimeoutError);
    expect((value as TimeoutError).message).toBe('"n" timed out after 50 ms');
  });

  it("ignores an outside signal that has not aborted", () => {
    expect(decideOutcome(inputs({ cancelledBy: "self", reason: selfReason, outside: { aborted: false } }))).toEqual({ ok: true, value: "body" });
  });
});
