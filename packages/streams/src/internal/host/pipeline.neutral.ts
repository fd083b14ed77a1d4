// Runtimes without node:stream (browsers, workerd): pipeline() keeps its type, so shared code
// type-checks and bundles, and calling it throws at once. Web streams pipe with `pipeThrough` and
// `pipeTo({ signal })`; iterate(), map(), take(), merge() and channel() work everywhere.
import type { pipeline as nodePipeline } from "../../pipeline.js";

export type {
  PipelineOptions,
  PipelineSource,
  PipelineTransform,
  PipelineDestination,
  StageContext,
} from "../../pipeline.js";

export const pipeline: typeof nodePipeline = () => {
  throw Object.assign(
    new Error(
      "pipeline() needs node:stream (Node, Bun, Deno), which this runtime does not provide; use ReadableStream's pipeThrough() and pipeTo({ signal }), or iterate()",
    ),
    { code: "ERR_UNSUPPORTED_RUNTIME" },
  );
};
