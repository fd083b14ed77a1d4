// A tracer provider with an in-memory exporter, and readers for the finished spans.
import { afterAll, afterEach, beforeAll } from "@jest/globals";
import { context, trace, type Tracer } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NurseryContextManager, openTracing, type Tracing } from "@nursery/otel";

export interface Recorder {
  readonly tracer: Tracer;
  readonly provider: BasicTracerProvider;
  /** Names of the spans started so far, ended or not, since the test began. */
  readonly started: string[];
  /** When `span` ended, on one monotonic clock (performance.now() in the processor's onEnd). */
  endedAt(span: ReadableSpan): number;
  /** Finished spans, in the order they ended. */
  spans(): ReadableSpan[];
  /** The one finished span named `name` (of `kind` "task" or "nursery" when given); throws if not exactly one. */
  span(name: string, kind?: "task" | "nursery"): ReadableSpan;
  /** Opens a Tracing on this recorder's tracer, closed after the test. */
  open(): Tracing;
}

/**
 * Registers the NurseryContextManager for the file and a fresh exporter for each test. `extra`:
 * span processors placed after the exporter's (a faulty one, in the fault tests).
 */
export function recorder(...extra: SpanProcessor[]): Recorder {
  const exporter = new InMemorySpanExporter();
  const started: string[] = [];
  const ended = new Map<string, number>();
  const onStart: SpanProcessor = {
    onStart: (span) => void started.push(span.name),
    onEnd: (span) => void ended.set(span.spanContext().spanId, performance.now()),
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter), onStart, ...extra] });
  const tracer = provider.getTracer("test");
  const opened: Tracing[] = [];
  beforeAll(() => {
    context.setGlobalContextManager(new NurseryContextManager());
  });
  afterAll(() => {
    context.disable();
    trace.disable();
  });
  afterEach(() => {
    for (const t of opened.splice(0)) t.close();
    exporter.reset();
    started.length = 0;
    ended.clear();
  });
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  return {
    tracer,
    provider,
    started,
    spans,
    endedAt(span) {
      const at = ended.get(span.spanContext().spanId);
      if (at === undefined) throw new Error(`span ${span.name} has not ended`);
      return at;
    },
    span(name, kind) {
      const found = spans().filter((s) => s.name === name && (kind === undefined || s.attributes["nursery.span.kind"] === kind));
      if (found.length !== 1) throw new Error(`expected one span named ${name}, found ${found.length}: ${spans().map((s) => s.name).join(", ")}`);
      return found[0] as ReadableSpan;
    },
    open() {
      const t = openTracing({ tracer });
      opened.push(t);
      return t;
    },
  };
}

/** The span id of `span`'s parent, or undefined for a root span. */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

export function idOf(span: ReadableSpan): string {
  return span.spanContext().spanId;
}
