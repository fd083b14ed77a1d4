// The spans of running tasks and open nurseries, shared by the Tracing that records them and by
// the context manager that makes a task's span active inside it.
//
// Plain Maps, emptied as spans end: a WeakMap entry per task is an ephemeron that the garbage
// collector must revisit, and measured as the largest single cost per task (bench/otel.mjs). So
// only one Tracing records at a time, and a span leaves these maps when it ends.
import { ROOT_CONTEXT, TraceFlags, trace, type Context, type Span, type SpanOptions } from "@opentelemetry/api";
import type { Nursery, TaskContext } from "@nursery/core";

/** An open nursery span, and what its tasks' spans share. */
export class NurseryRecord {
  readonly span: Span;
  /** The context its tasks' spans are started in: the parent context with this span set. */
  readonly context: Context;
  /** The options every task span of this nursery is started with (the SDK copies attributes). */
  readonly taskOptions: SpanOptions;
  /** Traced tasks of this nursery still running; its span ends when this drops to 0, unless `exact`. */
  live = 0;
  /** Seen opening on `nursery:open`: its span ends on `nursery:close`, not when it falls idle. */
  readonly exact: boolean;
  /**
   * Exact and sampled out (its span records nothing and carries no sampled flag): its tasks get no
   * span of their own, and the context inside them is this nursery's, so that everything under it
   * stays sampled out at the cost of one Map lookup per task.
   */
  readonly dark: boolean;
  /** The task whose code opened this nursery (its body runs there), when known: a body's error is recorded on its span. */
  readonly opener: TaskContext | undefined;

  constructor(span: Span, parent: Context, taskOptions: SpanOptions, exact: boolean, opener: TaskContext | undefined) {
    this.span = span;
    this.context = trace.setSpan(parent, span);
    this.taskOptions = taskOptions;
    this.exact = exact;
    this.dark = exact && !span.isRecording() && (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0;
    this.opener = opener;
  }
}

/**
 * Every span not yet ended, in the order they started: running tasks' spans by task, and open
 * nurseries' spans by nursery (one map, so that their order is the order they started).
 */
export const openSpans = new Map<object, Span>();
/** Open nurseries' spans, in the order they started. */
export const openNurseries = new Map<Nursery, NurseryRecord>();

/**
 * The context active inside `task`: its nursery's context with the task's span set, or a dark
 * nursery's own context; undefined if not traced.
 */
export function contextOf(task: TaskContext): Context | undefined {
  const span = openSpans.get(task);
  const owner = openNurseries.get(task.nursery);
  if (span === undefined) return owner?.dark === true ? owner.context : undefined;
  return trace.setSpan(owner?.context ?? ROOT_CONTEXT, span);
}
