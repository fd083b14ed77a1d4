// @nursery/otel: OpenTelemetry spans for nursery tasks.
export { openTracing, type Tracing, type TracingOptions } from "./tracing.js";
export { NurseryContextManager } from "./context-manager.js";
export { flushBeforeExit, type FlushOptions } from "./flush-before-exit.js";
