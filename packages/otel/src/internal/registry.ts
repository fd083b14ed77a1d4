// Spans of running tasks and open nurseries, shared by the Tracing that records them and by the
// context manager that makes a task's span active inside it. Weak, so that nothing here keeps a
// task or a nursery alive; a Tracing keeps its open records in its own sets until they end.
import { trace, type Context, type Span } from "@opentelemetry/api";

/** One span this package started, for a task or for a nursery. */
export class SpanRecord {
  readonly span: Span;
  readonly #parent: Context;
  #context: Context | undefined = undefined;
  /** For a nursery: its traced children still running; its span ends when this drops to 0. */
  live = 0;
  /** For a task: the record of its nursery. */
  readonly owner: SpanRecord | undefined;

  constructor(span: Span, parent: Context, owner: SpanRecord | undefined) {
    this.span = span;
    this.#parent = parent;
    this.owner = owner;
  }

  /** The parent context with this span set: what is active inside the task. Built on first read. */
  get context(): Context {
    return (this.#context ??= trace.setSpan(this.#parent, this.span));
  }
}

export const records = new WeakMap<object, SpanRecord>();
