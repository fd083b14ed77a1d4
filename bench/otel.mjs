// Cost of @nursery/otel: spawn + join of N tasks that each suspend once, in fresh processes:
//   plain      core alone (the "off" figure)
//   manager    NurseryContextManager registered (AsyncLocalStorage on), no tracing
//   sampledOut openTracing() with an AlwaysOffSampler: non-recording spans, the context still flows
//   recording  openTracing() with every span recorded, ended into a BatchSpanProcessor whose
//              exporter drops them (what a program pays before any network cost)
//   sdkFloor   core alone, each task starting and ending one span itself with the same SDK set-up:
//              the SDK's own cost per span, which no integration can go below
//   sdkSame    the same, with what this package puts on each span: a parent, two attributes at the
//              start, one at the end
//   sdkManager sdkSame with NurseryContextManager registered (AsyncLocalStorage on, as recording
//              has it): the floor a recording integration can reach, so recording / sdkManager
//              is the integration's own cost (sdkSame alone leaves the AsyncLocalStorage out)
// Prints median [min - max] and the ratio against plain, of wall time and of the process's CPU
// time (the steadier one on a loaded machine). Run `npx tsc -b` first.
//   node bench/otel.mjs [--runs 5] [--n 100000]
import { fileURLToPath } from "node:url";
import { numberOption, reportSpawnJoin, runVariants } from "./lib/variants.mjs";

const runs = numberOption("--runs", 5);
const n = numberOption("--n", 100_000);

if (process.env.NURSERY_OTEL_CHILD) {
  const variant = process.env.NURSERY_OTEL_CHILD;
  let work = async () => { await null; };
  if (variant === "sdkFloor" || variant === "sdkSame" || variant === "sdkManager") {
    const { trace, context, ROOT_CONTEXT } = await import("@opentelemetry/api");
    if (variant === "sdkManager") {
      const { NurseryContextManager } = await import("@nursery/otel");
      context.setGlobalContextManager(new NurseryContextManager());
    }
    const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
    const drop = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined };
    const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(drop, { maxQueueSize: 4096, scheduledDelayMillis: 50 })] });
    const tracer = provider.getTracer("bench");
    if (variant === "sdkFloor") {
      work = async () => {
        const span = tracer.startSpan("task");
        await null;
        span.end();
      };
    } else {
      const parent = trace.setSpan(ROOT_CONTEXT, tracer.startSpan("nursery"));
      const options = { attributes: { "nursery.span.kind": "task", "nursery.name": "nursery" } };
      work = async () => {
        const span = tracer.startSpan("task", options, parent);
        await null;
        span.setAttribute("nursery.task.state", "fulfilled");
        span.end();
      };
    }
  } else if (variant !== "plain") {
    const { context } = await import("@opentelemetry/api");
    const { BasicTracerProvider, BatchSpanProcessor, AlwaysOffSampler } = await import("@opentelemetry/sdk-trace-base");
    const { NurseryContextManager, openTracing } = await import("@nursery/otel");
    context.setGlobalContextManager(new NurseryContextManager());
    if (variant !== "manager") {
      const drop = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined };
      const provider = new BasicTracerProvider({
        ...(variant === "sampledOut" ? { sampler: new AlwaysOffSampler() } : {}),
        spanProcessors: [new BatchSpanProcessor(drop, { maxQueueSize: 4096, scheduledDelayMillis: 50 })],
      });
      openTracing({ tracer: provider.getTracer("bench") });
    }
  }
  await reportSpawnJoin(n, work);
}

const self = fileURLToPath(import.meta.url);
runVariants({
  script: self,
  envName: "NURSERY_OTEL_CHILD",
  variants: ["plain", "manager", "sampledOut", "recording", "sdkFloor", "sdkSame", "sdkManager"],
  runs,
  n,
  label: "spawn + join",
});
