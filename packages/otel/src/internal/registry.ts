// The spans of running tasks and open nurseries, shared by the Tracing that records them and by
// the context manager that makes a task's span active inside it.
//
// Goal. Finding a task's span at its settle (and inside it, for `context.active()`) costs a field
// read, and every span not yet ended can still be listed in the order it started.
//
// Designs measured and dropped (bench/otel.mjs, docs/design/decisions/otel-spans.md). A WeakMap
// keyed by task: each entry is an ephemeron the garbage collector must revisit, the largest single
// cost per task. A Map keyed by task, emptied as spans end: a set, a get and a delete per task in
// a table as large as the number of running tasks, the largest part of this package's own cost
// after that. A symbol-keyed property on the task: as cheap, but it shows in `util.inspect(task)`
// and in a deep equality of tasks.
//
// Chosen. The span is kept in a private field that this module adds to the task (or nursery)
// object (a base class constructor that returns the object it is given, so the subclass's field
// initialiser runs on it): invisible to inspect, equality and reflection, read and written through
// an inline cache like any field, and dropped with the object. The start order is an array of the
// keys, pushed at start and not touched at end, except that an end compacts it (keeping the keys
// whose span is still open) when it holds over twice as many keys as open spans: amortised O(1),
// each compaction at least halves it, and ended tasks are not kept alive past that.
//
// Invariant. A key's field holds its span from `openSpans.set()` to `openSpans.delete()` and is
// undefined otherwise; `#open` counts the keys whose field holds a span, each listed in `#order`
// at the place of its latest set() (a key whose span ended and restarted may also be listed at
// an older place, until the next compaction; takeAll() ends each span once, at its newest place).
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

/** Returns the object it is given, so that a subclass's private field is added to that object. */
class Carrier {
  constructor(key: object) {
    return key;
  }
}

/** The private fields that hold a key's open span, and the last compaction that kept the key. */
class SpanField extends Carrier {
  #span: Span | undefined;
  #kept = 0;

  private constructor(key: object) {
    super(key);
  }

  static get(key: object): Span | undefined {
    return #span in key ? key.#span : undefined;
  }

  static set(key: object, span: Span | undefined): void {
    if (!(#span in key)) new SpanField(key);
    (key as SpanField).#span = span;
  }

  /** True the first time `key` is seen by compaction `round`. */
  static keep(key: object, round: number): boolean {
    if (!(#span in key) || key.#kept === round) return false;
    key.#kept = round;
    return true;
  }
}

/**
 * Every span not yet ended: running tasks' spans by task, and open nurseries' spans by nursery,
 * listed in the order they started (one list for both, so that nested spans end before theirs).
 */
class OpenSpans {
  /** The keys in the order their spans started; may also hold keys whose span has ended since. */
  #order: object[] = [];
  #open = 0;
  #compactions = 0;

  get(key: object): Span | undefined {
    return SpanField.get(key);
  }

  /** Records `key`'s span; `key` has none open. */
  set(key: object, span: Span): void {
    SpanField.set(key, span);
    this.#open++;
    this.#order.push(key);
  }

  /** Forgets `key`'s span; true if it had one. */
  delete(key: object): boolean {
    if (SpanField.get(key) === undefined) return false;
    SpanField.set(key, undefined);
    // Compacted here, not in set(): ended keys are not kept alive past twice the open ones.
    if (--this.#open * 2 + 64 <= this.#order.length) this.#compact();
    return true;
  }

  /**
   * Keeps the keys whose span is open, each once at its newest place: a nursery first seen at a
   * spawn gets a new span after falling idle, and its older place may still be listed.
   */
  #compact(): void {
    const round = ++this.#compactions;
    const kept: object[] = [];
    for (let i = this.#order.length - 1; i >= 0; i--) {
      const key = this.#order[i] as object;
      if (SpanField.get(key) !== undefined && SpanField.keep(key, round)) kept.push(key);
    }
    this.#order = kept.reverse();
  }

  /** Forgets every open span and returns them with their keys, newest first (a key listed twice, at its newest place). */
  takeAll(): Array<[object, Span]> {
    const all: Array<[object, Span]> = [];
    for (let i = this.#order.length - 1; i >= 0; i--) {
      const key = this.#order[i] as object;
      const span = SpanField.get(key);
      if (span === undefined) continue;
      SpanField.set(key, undefined);
      all.push([key, span]);
    }
    this.#order = [];
    this.#open = 0;
    return all;
  }
}

export const openSpans = new OpenSpans();
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
