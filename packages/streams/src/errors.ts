// The error classes of @nursery/streams. Each has a stable `code`, a `name`, and an `instanceof`
// that works across two installed copies of the package (core's `defineErrorClass`).
import { defineErrorClass } from "@nursery/core/adapter";

/**
 * A channel operation met a closed channel: `send()` after (or while waiting when) `close()` was
 * called, or `receive()` on a channel that is closed and has no buffered item left.
 *
 * For receivers it is the normal end of the stream (async iteration of the channel ends instead of
 * throwing it). For senders it means the consumer side is gone: stop producing.
 *
 * @example
 * ```ts
 * try { await ch.send(task, item) } catch (err) { if (!(err instanceof ChannelClosedError)) throw err }
 * ```
 */
export class ChannelClosedError extends Error {
  /** Always `"ERR_CHANNEL_CLOSED"`. */
  readonly code = "ERR_CHANNEL_CLOSED" as const;

  constructor(message = "channel is closed") {
    super(message);
  }
}
defineErrorClass(ChannelClosedError, { scope: "@nursery/streams", name: "ChannelClosedError", code: "ERR_CHANNEL_CLOSED" });

/**
 * A stage of a {@link pipeline} failed. Wraps the first real error (as `cause`) and names the stage
 * it came from, so a failure in a five-stage pipeline says where it happened. The pipeline rejects
 * with it once; the other stages are torn down. Cancellations are never wrapped: a cancelled
 * pipeline rejects with its task's cancellation.
 *
 * @example
 * ```ts
 * try { await pipeline(task, source, parse, sink) }
 * catch (err) { if (err instanceof PipelineStageError) log(`${err.stageName} failed`, err.cause) ; throw err }
 * ```
 */
export class PipelineStageError extends Error {
  /** Always `"ERR_PIPELINE_STAGE"`. */
  readonly code = "ERR_PIPELINE_STAGE" as const;
  /** Index of the failed stage in the `pipeline(...)` arguments (0 = the source). */
  readonly stage: number;
  /** The stage's name: a function's name, or a stream's constructor name (`"Gzip"`). */
  readonly stageName: string;

  constructor(stage: number, stageName: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`pipeline stages[${stage}] (${stageName}) failed: ${detail}`, { cause });
    this.stage = stage;
    this.stageName = stageName;
  }
}
defineErrorClass(PipelineStageError, { scope: "@nursery/streams", name: "PipelineStageError", code: "ERR_PIPELINE_STAGE" });
