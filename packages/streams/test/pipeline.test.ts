import { describe, expect, it } from "@jest/globals";
import { nursery } from "@nursery/core";
import { expectSequence } from "@nursery/core/testing";
import { PipelineStageError, pipeline } from "@nursery/streams";
import { Readable, Transform, Writable } from "node:stream";
import { deferred, flush, listeners, rejectionOf } from "./support.js";

const reason = new Error("task cancelled");

async function* double(source: AsyncIterable<number>) {
  for await (const n of source) yield n * 2;
}

async function sum(source: AsyncIterable<number>) {
  let total = 0;
  for await (const n of source) total += n;
  return total;
}

function sink(log: string[], options: { failOn?: unknown; error?: Error } = {}) {
  return new Writable({
    objectMode: true,
    write(chunk, _encoding, callback) {
      log.push(`write ${String(chunk)}`);
      callback(chunk === options.failOn ? options.error : undefined);
    },
    destroy(error, callback) {
      log.push("sink destroyed");
      callback(error);
    },
  });
}

describe("pipeline", () => {
  it("moves every chunk through the stages and resolves with the destination's result", async () => {
    expect(await pipeline([1, 2, 3], double, sum)).toBe(12);
  });

  it("connects Node streams", async () => {
    const log: string[] = [];
    const upper = new Transform({
      objectMode: true,
      transform(chunk: string, _encoding, callback) {
        callback(null, chunk.toUpperCase());
      },
    });
    await pipeline(Readable.from(["a", "b"]), upper, sink(log));
    expect(log).toEqual(["write A", "write B", "sink destroyed"]);
  });

  it("connects web streams", async () => {
    const written: string[] = [];
    const source = new ReadableStream<string>({
      start(controller) {
        controller.enqueue("a");
        controller.enqueue("b");
        controller.close();
      },
    });
    const upper = new TransformStream<string, string>({
      transform(chunk, controller) {
        controller.enqueue(chunk.toUpperCase());
      },
    });
    const destination = new WritableStream<string>({
      write(chunk) {
        written.push(chunk);
      },
    });
    await pipeline(source, upper, destination);
    expect(written).toEqual(["A", "B"]);
  });

  it("passes each function stage a signal that aborts when the pipeline stops", async () => {
    const controller = new AbortController();
    let stageSignal: AbortSignal | undefined;
    const done = pipeline(
      (async function* () {
        yield 1;
        await new Promise(() => {}); // never produces again
      })(),
      async function* watch(source: AsyncIterable<number>, { signal }: { signal: AbortSignal }) {
        stageSignal = signal;
        yield* source;
      },
      sum,
      { signal: controller.signal },
    );
    await flush();
    expect(stageSignal?.aborted).toBe(false);
    controller.abort(reason);
    expect(await rejectionOf(done)).toBe(reason);
    expect(stageSignal?.aborted).toBe(true);
  });
});

describe("pipeline errors name the stage", () => {
  const failure = new Error("boom");

  const cases: [string, () => Parameters<typeof pipeline>, number, string][] = [
    [
      "a source generator",
      () => [
        async function* numbers() {
          yield 1;
          throw failure;
        },
        double,
        sum,
      ],
      0,
      "numbers",
    ],
    [
      "a transform function",
      () => [
        [1, 2, 3],
        async function* parse(source: AsyncIterable<number>) {
          for await (const n of source) {
            if (n === 2) throw failure;
            yield n;
          }
        },
        sum,
      ],
      1,
      "parse",
    ],
    [
      "a Node Transform",
      () => [
        [1, 2, 3],
        new Transform({
          objectMode: true,
          transform(chunk: number, _encoding, callback) {
            callback(chunk === 2 ? failure : null, chunk);
          },
        }),
        sum,
      ],
      1,
      "Transform",
    ],
    ["a Node Writable", () => [[1, 2, 3], double, sink([], { failOn: 4, error: failure })], 2, "Writable"],
    [
      "a destination function",
      () => [
        [1, 2, 3],
        double,
        async function store() {
          throw failure;
        },
      ],
      2,
      "store",
    ],
    [
      "a web TransformStream",
      () => [
        [1, 2, 3],
        new TransformStream({
          transform() {
            throw failure;
          },
        }),
        sum,
      ],
      1,
      "TransformStream",
    ],
    [
      "a web WritableStream",
      () => [
        [1, 2, 3],
        double,
        new WritableStream({
          write() {
            throw failure;
          },
        }),
      ],
      2,
      "WritableStream",
    ],
  ];

  it.each(cases)("rejects once with a PipelineStageError naming %s", async (_what, stages, stage, stageName) => {
    const err = await rejectionOf(pipeline(...stages()));
    expect(err).toBeInstanceOf(PipelineStageError);
    const stageError = err as PipelineStageError;
    expect(stageError.code).toBe("ERR_PIPELINE_STAGE");
    expect(stageError.stage).toBe(stage);
    expect(stageError.stageName).toBe(stageName);
    expect(stageError.cause).toBe(failure);
    expect(stageError.message).toBe(`pipeline stages[${stage}] (${stageName}) failed: boom`);
  });

  it("tears down the other stages when one fails", async () => {
    const log: string[] = [];
    const err = await rejectionOf(
      pipeline(
        async function* numbers() {
          try {
            for (let i = 1; ; i++) yield i;
          } finally {
            log.push("source finally");
          }
        },
        async function* check(source: AsyncIterable<number>) {
          for await (const n of source) {
            if (n === 3) throw failure;
            yield n;
          }
        },
        sink(log),
      ),
    );
    expect((err as PipelineStageError).stage).toBe(1);
    expectSequence(log, ["write 1", "write 2", new Set(["source finally", "sink destroyed"])]);
  });
});

describe("pipeline cancellation", () => {
  it("tears down every stage and rejects with signal.reason", async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const source = new Readable({
      objectMode: true,
      read() {},
      destroy(error, callback) {
        log.push("source destroyed");
        callback(error);
      },
    });
    source.push("a");
    const done = pipeline(
      source,
      async function* relay(chunks: AsyncIterable<string>) {
        try {
          yield* chunks;
        } finally {
          log.push("relay finally");
        }
      },
      sink(log),
      { signal: controller.signal },
    );
    await flush();
    expect(listeners(controller.signal)).toBe(1);
    controller.abort(reason);
    expect(await rejectionOf(done)).toBe(reason);
    expect(listeners(controller.signal)).toBe(0);
    expectSequence(log, ["write a", new Set(["source destroyed", "relay finally", "sink destroyed"])]);
  });

  it("tears down web stream stages and rejects with signal.reason", async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const source = new ReadableStream<string>({
      pull(c) {
        return new Promise<void>((resolve) =>
          setImmediate(() => {
            if (log.length === 0) c.enqueue("x");
            resolve();
          }),
        );
      },
      cancel() {
        log.push("source cancelled");
      },
    });
    const destination = new WritableStream<string>({
      write(chunk) {
        log.push(`write ${chunk}`);
      },
      abort() {
        log.push("destination aborted");
      },
    });
    const done = pipeline(source, new TransformStream(), destination, { signal: controller.signal });
    await flush();
    await flush();
    controller.abort(reason);
    expect(await rejectionOf(done)).toBe(reason);
    expect(log.filter((entry) => entry === "source cancelled")).toHaveLength(1);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("does not wait for a generator stage blocked in an await it cannot interrupt", async () => {
    const log: string[] = [];
    const blocker = deferred();
    const controller = new AbortController();
    const done = pipeline(
      async function* numbers() {
        try {
          yield 1;
          await blocker.promise;
          yield 2;
        } finally {
          log.push("source finally");
        }
      },
      sum,
      { signal: controller.signal },
    );
    await flush();
    controller.abort(reason);
    expect(await rejectionOf(done)).toBe(reason);
    log.push("pipeline rejected");
    blocker.resolve();
    await flush();
    expect(log).toEqual(["pipeline rejected", "source finally"]);
  });

  it("starts nothing and destroys the stream stages when the signal is already aborted", async () => {
    const log: string[] = [];
    const controller = new AbortController();
    controller.abort(reason);
    const source = Readable.from(["a"]);
    const destination = sink(log);
    const err = await rejectionOf(
      pipeline(
        source,
        async function* relay(chunks: AsyncIterable<string>) {
          log.push("relay started");
          yield* chunks;
        },
        destination,
        { signal: controller.signal },
      ),
    );
    expect(err).toBe(reason);
    expect(log).toEqual(["sink destroyed"]);
    expect(source.destroyed).toBe(true);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("ends with its task when the nursery is cancelled", async () => {
    const log: string[] = [];
    await nursery(async (n) => {
      n.spawn(async ({ signal }) => {
        try {
          await pipeline(
            async function* ticks() {
              try {
                for (;;) {
                  yield "tick";
                  await new Promise((resolve) => setImmediate(resolve));
                }
              } finally {
                log.push("source finally");
              }
            },
            sink([]),
            { signal },
          );
        } catch (err) {
          log.push(err === signal.reason ? "pipeline: task's reason" : "pipeline: other error");
          throw err;
        }
      });
      await flush();
      n.cancel();
    });
    log.push("nursery done");
    await flush();
    // The source was inside a read (awaiting its next tick) when cancelled: the pipeline did not
    // wait for it, and its finally runs as soon as that await settles.
    expect(log).toEqual(["pipeline: task's reason", "nursery done", "source finally"]);
  });
});

describe("pipeline input checks", () => {
  it("throws the house TypeError for fewer than two stages", () => {
    expect(() => (pipeline as (...a: unknown[]) => unknown)([1])).toThrow(
      new TypeError("Expected `stages` to be at least a source and a destination, got `[array(1)]` (object)"),
    );
  });

  it("throws the house TypeError for a stage of the wrong kind", () => {
    expect(() => pipeline([1], 42 as never, sum)).toThrow(
      new TypeError(
        "Expected `stages[1]` to be a Node Duplex, a web TransformStream or an async generator function, got `42` (number)",
      ),
    );
    expect(() => pipeline([1], Readable.from([]) as never)).toThrow(
      /^Expected `stages\[1\]` to be a Node Writable, a web WritableStream or a function, got `\[object Readable\]` \(object\)$/,
    );
    expect(() => pipeline(7 as never, sum)).toThrow(/^Expected `stages\[0\]` to be an AsyncIterable/);
  });

  it("throws the house TypeError for a bad signal", () => {
    expect(() => pipeline([1], sum, { signal: 1 as never })).toThrow(
      new TypeError("Expected `options.signal` to be an AbortSignal, got `1` (number)"),
    );
  });

  it("names the stage whose function returns something that cannot be read", async () => {
    const err = await rejectionOf(pipeline([1], (() => 42) as never, sum));
    expect(err).toBeInstanceOf(PipelineStageError);
    expect((err as PipelineStageError).stage).toBe(1);
    expect((err as PipelineStageError).cause).toBeInstanceOf(TypeError);
  });
});
