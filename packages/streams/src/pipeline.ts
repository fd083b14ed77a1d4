// pipeline(): Node's `stream/promises` pipeline, bound to a task and saying which stage failed.
//
// Node's pipeline already does the hard part for streams: backpressure, and destroying every stage
// when one fails or the signal aborts. It has two gaps this module fills:
//   - it waits for an async-iterable stage that is blocked in an await it cannot interrupt (a
//     generator stage awaiting something that ignores the signal), so a cancelled pipeline may not
//     settle. Every iterable stage (and every function stage's output) is read through `iterate()`
//     bound to the pipeline's internal signal, which ends at once and closes the iterator;
//   - its error does not say which stage failed. Each stage is watched (`finished()` for streams, a
//     wrapper for iterables and functions) and the first real error is wrapped in a
//     `PipelineStageError` naming the stage. Cancellations are never wrapped: a cancelled pipeline
//     rejects with `signal.reason`.
// Listeners: the caller's signal gets exactly one, Node's own (removed when the pipeline settles);
// the per-stage `iterate()` wrappers listen to Node's internal per-pipeline signal.
import { Duplex, Writable, finished } from "node:stream";
import { pipeline as nodePipeline } from "node:stream/promises";
import type { ReadableWritablePair } from "node:stream/web";
import { PipelineStageError } from "./errors.js";
import { isCancellable } from "./internal/abort.js";
import { isCancellation } from "@nursery/core";
import { Iteration, checkSource } from "./internal/iteration.js";
import { isNodeReadable } from "./internal/readable-reader.js";
import { attempt } from "./internal/reader.js";
import { cancelReasonOf, checkOptions, checkOptionalSignal, describeValue, invalidArgument as invalid, isCancelledBy, onCancel, onTaskEnd, type Cancellable } from "@nursery/core/adapter";
import { isWebReadable } from "./internal/web-reader.js";
import type { IterateSource, TaskIterator } from "./iterate.js";

/** What a function stage receives besides its input: the pipeline's own signal. */
export interface StageContext {
  /** Aborts when the pipeline stops: cancellation, another stage's failure, or completion. */
  readonly signal: AbortSignal;
}

/** The first stage: a readable stream, any (async) iterable, or a function returning one. */
export type PipelineSource = IterateSource<unknown> | ((context: StageContext) => IterateSource<unknown>);

/** A middle stage: a Node Duplex/Transform, a web TransformStream, or an async generator function. */
export type PipelineTransform =
  | Duplex
  | ReadableWritablePair<unknown, unknown>
  // `any` input: each stage's input type is whatever the previous stage produced.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  | ((source: AsyncIterable<any>, context: StageContext) => IterateSource<unknown>);

/** The last stage: a Node Writable, a web WritableStream, or an async function consuming its input. */
export type PipelineDestination =
  | Writable
  | WritableStream<unknown>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the input is the previous stage's output
  | ((source: AsyncIterable<any>, context: StageContext) => unknown);

/** Options of {@link pipeline}: the last argument. */
export interface PipelineOptions {
  /** The task's signal: aborting it tears down every stage; the pipeline rejects with its reason. */
  signal?: AbortSignal | undefined;
}

type Stage = PipelineSource | PipelineTransform | PipelineDestination;

/**
 * Connects `source`, any transforms and a destination, moving data with backpressure until the
 * source ends, and tears every stage down when the task is cancelled or any stage fails.
 *
 * Use it for stream processing inside a task (read, transform, write) instead of hand-wiring
 * `pipe()`. Stages may be Node streams, web streams, (async) iterables, and functions: a source
 * function `({ signal }) => iterable`, transform functions `(source, { signal }) => asyncIterable`
 * (async generators), a destination function `async (source, { signal }) => result`.
 *
 * - Success: resolves when the destination finished, with the destination function's result (or
 *   `undefined` for a stream destination).
 * - Error: rejects once with a `PipelineStageError` naming the first stage that failed (`stage`,
 *   `stageName`, `cause`); every stage is destroyed, cancelled or returned.
 * - Cancellation: every stage is torn down (a generator stage blocked in an await is abandoned and
 *   closed, not awaited) and the pipeline rejects with `task`'s reason, at once if it is already
 *   cancelled, in which case no stage is started and the stream stages are destroyed.
 *
 * Fewer than two stages, or a stage of the wrong kind, throws a `TypeError`. If `task` returns
 * while the pipeline runs, every stage is torn down and the pipeline rejects.
 *
 * @example
 * ```ts
 * await pipeline(
 *   task,
 *   createReadStream("in.log"),
 *   async function* parse(lines, { signal }) { for await (const line of lines) yield JSON.parse(line) },
 *   async function store(records) { for await (const r of records) await db.insert(r) },
 * );
 * ```
 */
export function pipeline(
  task: Cancellable,
  ...args: [PipelineSource, ...PipelineTransform[], PipelineDestination]
): Promise<unknown>;
/** @deprecated Write `pipeline(task, source, ...transforms, destination)`: the cancellation source comes first (api-cancellation-source.md). */
export function pipeline(
  ...args: [PipelineSource, ...PipelineTransform[], PipelineDestination, PipelineOptions]
): Promise<unknown>;
/** @deprecated Write `pipeline(task, source, ...transforms, destination)`: the cancellation source comes first (api-cancellation-source.md). */
export function pipeline(...args: [PipelineSource, ...PipelineTransform[], PipelineDestination]): Promise<unknown>;
export function pipeline(...args: unknown[]): Promise<unknown> {
  // `pipeline(task, ...stages)`: no stage is a cancellation source, so the first argument tells.
  if (isCancellable(args[0])) {
    const task = args.shift() as Cancellable;
    const stages = checkStages(args);
    const early = cancelReasonOf(task);
    if (early !== undefined) return discard(stages, early);
    return runOwned(task, stages);
  }
  const last = args[args.length - 1];
  const options = isPlainObject(last) ? (args.pop() as PipelineOptions) : undefined;
  checkOptions("options", options);
  const signal = checkOptionalSignal("options.signal", options?.signal);
  const stages = checkStages(args);
  if (signal?.aborted) return discard(stages, signal.reason);
  return run(stages, signal);
}

function checkStages(args: unknown[]): Stage[] {
  if (args.length < 2) throw invalid("stages", "at least a source and a destination", args);
  const stages = args as Stage[];
  stages.forEach((stage, index) => checkStage(stage, index, stages.length));
  return stages;
}

// Node's pipeline takes a signal: one controller per pipeline, aborted by the task's cancellation
// (listened to with onCancel, so a task's own AbortSignal is not created) and by the task's end:
// a pipeline left running when its task returns is torn down, not left holding its streams.
async function runOwned(task: Cancellable, stages: Stage[]): Promise<unknown> {
  const controller = new AbortController();
  const removeCancel = onCancel(task, (reason) => controller.abort(reason));
  const removeEnd = onTaskEnd(task, () => controller.abort(new Error("pipeline: its task ended while the pipeline ran")));
  try {
    return await run(stages, controller.signal);
  } finally {
    removeCancel();
    removeEnd();
  }
}

async function run(stages: Stage[], signal: AbortSignal | undefined): Promise<unknown> {
  let failure: { stage: number; error: unknown } | undefined;
  const stops: (() => void)[] = [];
  const record = (stage: number, error: unknown, own: AbortSignal | undefined): void => {
    if (failure !== undefined || isCancelledBy(error, own) || isCancelledBy(error, signal)) return;
    failure = { stage, error };
  };
  const watch = (stream: NodeJS.ReadableStream | NodeJS.WritableStream, index: number): typeof stream => {
    stops.push(finished(stream, (error) => error && record(index, error, undefined)));
    return stream;
  };
  const wrapped = stages.map((stage, index) => wrapStage(stage, index, stages.length, record, watch));
  try {
    return await (nodePipeline as (...a: unknown[]) => Promise<unknown>)(...wrapped, { signal });
  } catch (error) {
    if (failure !== undefined) {
      throw new PipelineStageError(failure.stage, stageName(stages[failure.stage]), failure.error);
    }
    if (signal?.aborted && isCancelledBy(error, signal)) throw signal.reason;
    throw error;
  } finally {
    for (const stop of stops) stop();
  }
}

function wrapStage(
  stage: Stage,
  index: number,
  count: number,
  record: (stage: number, error: unknown, own: AbortSignal | undefined) => void,
  watch: (stream: NodeJS.ReadableStream | NodeJS.WritableStream, index: number) => unknown,
): unknown {
  const isFirst = index === 0;
  const isLast = index === count - 1;
  if (typeof stage === "function") {
    const fn = stage as (...a: unknown[]) => unknown;
    if (isLast) {
      return (source: unknown, context: StageContext) =>
        attempt(() => fn(source, context)).catch((error: unknown) => {
          record(index, error, context.signal);
          throw error;
        });
    }
    return (...a: unknown[]) => {
      const context = a[a.length - 1] as StageContext;
      let output: unknown;
      try {
        output = isFirst ? fn(context) : fn(a[0], context);
        checkSource(`the value returned by stages[${index}] (${stageName(stage)})`, output);
      } catch (error) {
        record(index, error, context.signal);
        throw error;
      }
      return tagged(new Iteration(output, context.signal, false), index, context.signal, record);
    };
  }
  if (isFirst && !isNodeReadable(stage)) {
    // Iterables and web streams: read through iterate() so a blocked one is abandoned on cancel.
    return (context: StageContext) => tagged(new Iteration(stage as object, context.signal, false), index, context.signal, record);
  }
  if (isNodeStream(stage)) return watch(stage as NodeJS.ReadableStream, index);
  if (isLast) return watch(Writable.fromWeb(stage as WritableStream, { objectMode: true }), index);
  return watch(Duplex.fromWeb(stage as ReadableWritablePair, { objectMode: true }), index);
}

// An async iterable over `iterator` that records the errors it raises as this stage's failure.
function tagged<T>(
  iterator: TaskIterator<T>,
  index: number,
  own: AbortSignal,
  record: (stage: number, error: unknown, own: AbortSignal | undefined) => void,
): AsyncIterableIterator<T> {
  const fail = (error: unknown): never => {
    record(index, error, own);
    throw error;
  };
  return {
    next: () => iterator.next().catch(fail),
    return: () => iterator.return().catch(fail),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

// The signal was aborted before the pipeline started: start nothing, close what was handed over.
async function discard(stages: Stage[], reason: unknown): Promise<never> {
  const settled = await Promise.allSettled(stages.map((stage) => attempt(() => close(stage, reason))));
  const failed = settled.find(
    (s): s is PromiseRejectedResult => s.status === "rejected" && s.reason !== reason && !isCancellation(s.reason),
  );
  throw failed === undefined ? reason : failed.reason;
}

function close(stage: Stage, reason: unknown): unknown {
  if (typeof stage === "function") return undefined;
  const s = stage as Partial<Duplex & WritableStream & ReadableWritablePair & AsyncIterator<unknown>>;
  if (isNodeStream(stage)) return s.destroyed === true ? undefined : void s.destroy?.();
  if (isWebReadable(stage)) return stage.locked ? undefined : stage.cancel(reason);
  if (isWebWritable(stage)) return stage.locked ? undefined : stage.abort(reason);
  if (s.readable !== undefined && s.writable !== undefined) {
    return Promise.all([close(s.readable, reason), close(s.writable, reason)]);
  }
  if (typeof s.next === "function") return s.return?.();
  return undefined;
}

function checkStage(stage: unknown, index: number, count: number): void {
  const name = `stages[${index}]`;
  if (typeof stage === "function") return;
  if (index === 0) {
    checkSource(name, stage);
    return;
  }
  const ok =
    index === count - 1
      ? isNodeWritable(stage) || isWebWritable(stage)
      : (isNodeReadable(stage as object) && isNodeWritable(stage)) || isWebPair(stage);
  if (!ok) {
    const expected =
      index === count - 1
        ? "a Node Writable, a web WritableStream or a function"
        : "a Node Duplex, a web TransformStream or an async generator function";
    throw invalid(name, expected, stage);
  }
}

function isNodeStream(value: unknown): boolean {
  return typeof value === "object" && value !== null && (isNodeReadable(value) || isNodeWritable(value));
}

function isNodeWritable(value: unknown): value is Writable {
  const v = value as Partial<Writable> & { _writableState?: unknown };
  return typeof v === "object" && v !== null && typeof v.write === "function" && typeof v._writableState === "object";
}

function isWebWritable(value: unknown): value is WritableStream<unknown> {
  const v = value as Partial<WritableStream<unknown>>;
  return typeof v === "object" && v !== null && typeof v.getWriter === "function" && typeof v.abort === "function";
}

function isWebPair(value: unknown): value is ReadableWritablePair<unknown, unknown> {
  const v = value as Partial<ReadableWritablePair<unknown, unknown>>;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.readable === "object" &&
    v.readable !== null &&
    isWebReadable(v.readable) &&
    isWebWritable(v.writable)
  );
}

function isPlainObject(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A stage's name in errors: a function's name, or a stream's constructor name. */
function stageName(stage: unknown): string {
  if (typeof stage === "function") return stage.name === "" ? "anonymous function" : stage.name;
  const ctor = (stage as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof ctor === "string" && ctor !== "" ? ctor : describeValue(stage);
}
