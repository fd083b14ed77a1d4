// Node, Bun and Deno: pipeline() over node:stream's pipeline.
export {
  pipeline,
  type PipelineOptions,
  type PipelineSource,
  type PipelineTransform,
  type PipelineDestination,
  type StageContext,
} from "../../pipeline.js";
