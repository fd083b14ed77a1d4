// @nursery/streams: streams, async iterators and channels that close when their task is cancelled.
export { iterate, type IterateOptions, type IterateSource, type TaskIterator } from "./iterate.js";
// Node, Bun, Deno: pipeline over node:stream; elsewhere the same signature, throwing (package.json `imports`).
export {
  pipeline,
  type PipelineOptions,
  type PipelineSource,
  type PipelineTransform,
  type PipelineDestination,
  type StageContext,
} from "#streams-host/pipeline";
export { channel, type Channel, type ChannelOperationOptions } from "./channel.js";
export { map, type MapOptions, type MapContext } from "./map.js";
export { take, type HelperOptions } from "./take.js";
export { merge } from "./merge.js";
export { ChannelClosedError, PipelineStageError } from "./errors.js";
