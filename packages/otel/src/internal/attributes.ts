// Attribute names and values this package writes, in one place (the README lists them).
import { CancelledError, NurseryError } from "@nursery/core";
import type { Attributes } from "@opentelemetry/api";

export const ATTR_NURSERY = "nursery.name";
export const ATTR_KIND = "nursery.span.kind"; // "task" | "nursery"
export const ATTR_STATE = "nursery.task.state";
export const ATTR_ABANDONED = "nursery.abandoned";
export const ATTR_SOURCE = "nursery.cancel.source";
export const ATTR_DETAIL = "nursery.cancel.detail";
export const ATTR_FAILED_TASK = "nursery.cancel.task";
export const ATTR_MESSAGE = "nursery.cancel.message";
export const EVENT_CANCEL = "nursery.cancel";

/** A short, never-throwing text for a cancellation's detail (a signal name, a number, an error). */
export function describeDetail(detail: unknown): string {
  try {
    if (detail instanceof Error) return `${detail.name}: ${detail.message}`;
    if (typeof detail === "object" && detail !== null) return Object.prototype.toString.call(detail);
    return String(detail);
  } catch {
    return "(unprintable)";
  }
}

/** The attributes of a `nursery.cancel` event: where the cancellation came from and why. */
export function cancelAttributes(reason: CancelledError): Attributes {
  const { source, detail, task } = reason.reason;
  const attributes: Attributes = { [ATTR_SOURCE]: source, [ATTR_MESSAGE]: reason.message };
  if (detail !== undefined) attributes[ATTR_DETAIL] = describeDetail(detail);
  if (task !== undefined) attributes[ATTR_FAILED_TASK] = task;
  return attributes;
}

/** The real errors inside `err`: the leaves of nested NurseryErrors, each once, or `err` itself. */
export function leavesOf(err: unknown, out: unknown[] = []): unknown[] {
  if (err instanceof NurseryError) for (const e of err.errors) leavesOf(e, out);
  else if (!out.includes(err)) out.push(err);
  return out;
}
