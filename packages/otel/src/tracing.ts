// One OpenTelemetry span per task, built on core's public diagnostics channels.
//
// Goal. A trace shows the task tree: each nursery is a span enclosing its tasks' spans, and a
// nursery opened inside a task is a child of that task's span. A cancellation is an event on the
// span, never an error status; a real error sets the error status once, on the span of the task
// that threw it. Every span ends, even a straggler's: at the latest when `endOpenSpans()` runs
// (flushBeforeExit calls it before the program exits), marked with `nursery.abandoned`.
//
// Invariants.
// - openSpans and openNurseries (internal/registry.ts) hold exactly the spans not yet ended; one
//   Tracing is open at a time and they are its.
// - A nursery's span runs from `nursery:open` (in the opener's frame: its parent is the opener's
//   context, the enclosing task's span) to `nursery:close`, which core publishes after the settle
//   of every child: it encloses its children, across idle moments too.
// - An error is recorded once (status ERROR, one exception event), on the span of the task that
//   threw it; a nursery body's error on the span of the task that opened the nursery (the body ran
//   there), or on the nursery's own span when no traced task did.
//
// Nurseries opened before openTracing() are first seen at their first spawn here: their span
// starts then and ends when their last traced running child settles (`live`); one that spawns
// again after falling idle gets a second span with the same name.
//
// Sampled out. A nursery whose span records nothing and is not sampled is "dark": its tasks get
// no span (a spawn costs one Map lookup), and the context inside them is the nursery's, so the
// nurseries they open are sampled out too.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import {
  SpanKind,
  SpanStatusCode,
  context as otelContext,
  trace,
  type Exception,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import {
  channels,
  currentTask,
  invalidArgument,
  isCancellation,
  type CancelEvent,
  type CloseEvent,
  type Nursery,
  type OpenEvent,
  type SettleEvent,
  type SpawnEvent,
  type Task,
  type TaskContext,
  type TaskState,
} from "@nursery/core";
import {
  ATTR_ABANDONED,
  ATTR_KIND,
  ATTR_NURSERY,
  ATTR_STATE,
  EVENT_CANCEL,
  cancelAttributes,
  leavesOf,
} from "./internal/attributes.js";
import { NurseryRecord, openNurseries, openSpans } from "./internal/registry.js";

/** Options of {@link openTracing}. */
export interface TracingOptions {
  /** The tracer that starts the spans. Default: `trace.getTracer("@nursery/otel")` from the global provider. */
  tracer?: Tracer;
}

/** What {@link openTracing} returns: the subscription, to close when tracing should stop. */
export interface Tracing extends Disposable {
  /**
   * Ends every span still open, newest first (so each before the span enclosing it), marking each with the
   * attribute `nursery.abandoned` set to `mark`. For a program about to exit with tasks that
   * ignored their cancellation; {@link flushBeforeExit} calls it.
   */
  endOpenSpans(mark: string): void;
  /** Stops tracing new tasks and ends the open spans with the mark `"tracing-closed"`. Idempotent. */
  close(): void;
}

/**
 * Starts recording one span per task spawned from now on, until `close()`.
 *
 * Each nursery gets a span (named after it) whose parent is the span active where its first task
 * was spawned, usually the enclosing task's; each task gets a span (named after it) in its
 * nursery's. A cancellation adds a `nursery.cancel` event (source, detail, message) and leaves the
 * status unset; a task that throws gets `SpanStatusCode.ERROR` and an exception event, once: a task
 * that only passes a descendant's error on (a `NurseryError` of already recorded errors) is marked
 * `nursery.task.state = "rejected"` without a second error status.
 *
 * Register a {@link NurseryContextManager} too, so that spans started inside a task (an
 * instrumented `fetch`) are children of the task's span.
 *
 * @example
 * ```ts
 * context.setGlobalContextManager(new NurseryContextManager());
 * using tracing = openTracing({ tracer: provider.getTracer("crawler") });
 * await nursery(async (n) => {
 *   n.spawn(() => crawl(url), { name: "crawl" });
 * }, { name: "crawler" });
 * ```
 */
export function openTracing(options?: TracingOptions): Tracing {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw invalidArgument("options", "an object", options);
  }
  const tracer = options?.tracer;
  if (tracer !== undefined && (typeof tracer !== "object" || tracer === null || typeof tracer.startSpan !== "function")) {
    throw invalidArgument("options.tracer", "an OpenTelemetry Tracer", tracer);
  }
  if (current !== undefined) throw new Error("openTracing(): a Tracing is already open; close() it first");
  return new TaskTracing(tracer ?? trace.getTracer("@nursery/otel"));
}

/** The Tracing that is open, if any: the registry's maps are its. */
let current: TaskTracing | undefined;

class TaskTracing implements Tracing {
  readonly #tracer: Tracer;
  /** Errors already recorded on some span: an ancestor passing one on does not record it again. */
  readonly #recorded = new WeakSet<object>();
  #closed = false;
  /** The nursery seen last and its record: spawns and settles come in runs of one nursery, so most Map lookups are saved. */
  #lastNursery: Nursery | undefined;
  #lastOwner: NurseryRecord | undefined;
  readonly #onSpawn = (message: unknown): void => this.#spawned(message as SpawnEvent);
  readonly #onCancel = (message: unknown): void => this.#cancelled(message as CancelEvent);
  readonly #onSettle = (message: unknown): void => {
    const { task, nursery, state, outcome } = message as SettleEvent;
    this.endTask(task, nursery, state, outcome);
  };
  readonly #onOpen = (message: unknown): void => {
    const nursery = (message as OpenEvent).nursery;
    if (!openNurseries.has(nursery)) this.#openNursery(nursery, true);
  };
  readonly #onClose = (message: unknown): void => this.#nurseryClosed(message as CloseEvent);

  constructor(tracer: Tracer) {
    this.#tracer = tracer;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the module records which Tracing owns the registry
    current = this;
    subscribe(channels.spawn.name, this.#onSpawn);
    subscribe(channels.cancel.name, this.#onCancel);
    subscribe(channels.settle.name, this.#onSettle);
    subscribe(channels.open.name, this.#onOpen);
    subscribe(channels.close.name, this.#onClose);
  }

  #openNursery(nursery: Nursery, exact: boolean): NurseryRecord {
    // Called from code outside the nursery (the one opening it, its body, the enclosing task).
    const parent = otelContext.active();
    const opener = exact ? currentTask() : undefined;
    const span = this.#tracer.startSpan(
      nursery.name,
      { kind: SpanKind.INTERNAL, attributes: { [ATTR_KIND]: "nursery", [ATTR_NURSERY]: nursery.name } },
      parent,
    );
    const taskOptions = { kind: SpanKind.INTERNAL, attributes: { [ATTR_KIND]: "task", [ATTR_NURSERY]: nursery.name } };
    const owner = new NurseryRecord(span, parent, taskOptions, exact, opener);
    openNurseries.set(nursery, owner);
    openSpans.set(nursery, span);
    return owner;
  }

  #nurseryClosed({ nursery, ok, outcome }: CloseEvent): void {
    const owner = openNurseries.get(nursery);
    if (owner === undefined || !owner.exact) return;
    // An error not recorded yet is the body's (the children's are): the body ran in the task that
    // opened the nursery, so it goes on that task's span, still open (it is awaiting this
    // nursery); on the nursery's own span when no traced task opened it.
    try {
      if (!ok && !isCancellation(outcome)) {
        const where = owner.opener === undefined ? undefined : openSpans.get(owner.opener);
        this.#recordError(where ?? owner.span, outcome);
      }
    } finally {
      this.#endNursery(nursery, owner);
    }
  }

  #endNursery(nursery: Nursery, owner: NurseryRecord): void {
    openNurseries.delete(nursery);
    openSpans.delete(nursery);
    if (this.#lastNursery === nursery) this.#lastNursery = this.#lastOwner = undefined;
    owner.span.end();
  }

  #spawned({ task, nursery }: SpawnEvent): void {
    // A nursery opened before this Tracing is first seen at its first spawn here.
    const owner = this.#ownerOf(nursery) ?? this.#openNursery(nursery, false);
    if (owner.dark) return; // sampled out: no span, the task runs in the nursery's context
    // Started before it is counted: a startSpan that throws (a span processor's onStart) leaves
    // the task untraced, not a nursery that waits for it forever.
    const span = this.#tracer.startSpan(task.name, owner.taskOptions, owner.context);
    owner.live++;
    openSpans.set(task, span);
  }

  #ownerOf(nursery: Nursery): NurseryRecord | undefined {
    if (nursery === this.#lastNursery) return this.#lastOwner;
    const owner = openNurseries.get(nursery);
    if (owner !== undefined) {
      this.#lastNursery = nursery;
      this.#lastOwner = owner;
    }
    return owner;
  }

  #cancelled({ task, nursery, reason }: CancelEvent): void {
    const span = task === undefined ? openNurseries.get(nursery)?.span : openSpans.get(task);
    span?.addEvent(EVENT_CANCEL, cancelAttributes(reason));
  }

  /**
   * Ends a task's span with its outcome, then its nursery's if it was the last one running and the
   * nursery is seen closing only that way (opened before this Tracing), or when `last` says that
   * the nursery settles with this task (flushBeforeExit, for run()'s root nursery and main).
   */
  endTask(task: Task<unknown>, nursery: Nursery, state: TaskState, outcome: unknown, last = false): void {
    const span = openSpans.get(task);
    if (span === undefined) return;
    openSpans.delete(task);
    // The books first: a span that throws from end() (a span processor's onEnd) must not keep its
    // nursery's span open. The error still reaches the caller.
    const owner = this.#ownerOf(nursery);
    const endsNursery = owner !== undefined && --owner.live === 0 && (!owner.exact || last);
    try {
      span.setAttribute(ATTR_STATE, state);
      if (state === "rejected") this.#recordError(span, outcome);
      span.end();
    } finally {
      if (endsNursery) this.#endNursery(nursery, owner);
    }
  }

  /** Status ERROR and one exception event per error not yet recorded on another span. */
  #recordError(span: Span, err: unknown): void {
    const fresh = leavesOf(err).filter((e) => !(typeof e === "object" && e !== null && this.#recorded.has(e)));
    if (fresh.length === 0) return; // passed on from a descendant whose span has the error status
    for (const e of fresh) {
      if (typeof e === "object" && e !== null) this.#recorded.add(e);
      span.recordException(toException(e));
    }
    span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(fresh[0]) });
  }

  endOpenSpans(mark: string): void {
    if (current !== this) return;
    this.#lastNursery = this.#lastOwner = undefined;
    // Newest first, so that every span ends before the span that encloses it. Each is ended even
    // when ending another throws (a span processor's onEnd); the errors are thrown after.
    const failures: unknown[] = [];
    for (const [key, span] of openSpans.takeAll()) {
      const nursery = openNurseries.delete(key as Nursery);
      try {
        span.setAttribute(ATTR_ABANDONED, mark);
        if (!nursery) span.setAttribute(ATTR_STATE, "running");
        span.end();
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `ending ${failures.length} open spans failed`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    unsubscribe(channels.spawn.name, this.#onSpawn);
    unsubscribe(channels.cancel.name, this.#onCancel);
    unsubscribe(channels.settle.name, this.#onSettle);
    unsubscribe(channels.open.name, this.#onOpen);
    unsubscribe(channels.close.name, this.#onClose);
    this.endOpenSpans("tracing-closed");
    current = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function messageOf(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return "(unprintable)";
  }
}

function toException(err: unknown): Exception {
  return err instanceof Error ? err : messageOf(err);
}

/**
 * Ends `task`'s span now, as if it had settled with `state` and `outcome`: for flushBeforeExit(),
 * whose flush runs inside main, before main settles.
 */
export function endTaskSpan(tracing: Tracing, task: TaskContext, state: TaskState, outcome: unknown): void {
  if (tracing instanceof TaskTracing) tracing.endTask(task as unknown as Task<unknown>, task.nursery, state, outcome, true);
}
