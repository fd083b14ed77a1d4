// Every package checks its arguments with the adapter kit (`@nursery/core/adapter`), so the same bad
// input gets the same answer everywhere: a TypeError ``Expected `<name>` to be <rule>, got <value>``
// whose rule and value read alike in core, timers, fetch, streams, process and effection. Only the
// argument's name differs. A package that grew its own check with other words fails here.
import { describe, expect, it } from "@jest/globals";
import { createServer } from "node:http";
import { CancelledError, failAfter, moveOnAfter, nursery, openNursery, TimeoutError, type Nursery, type TaskContext } from "@nursery/core";
import { onCancel, onTaskEnd } from "@nursery/core/adapter";
import { expectInvalidArgument, INVALID_ARGUMENT_MESSAGE } from "@nursery/core/testing";
import { callWithSignal, runOperation, spawnOperation, useNursery } from "@nursery/effection";
import { fetch, HttpError, Limiter, TaskEndedError } from "@nursery/fetch";
import { serve } from "@nursery/http";
import { exec, ProcessError, spawnProcess } from "@nursery/process";
import { channel, ChannelClosedError, iterate, map, merge, pipeline, PipelineStageError, take } from "@nursery/streams";
import { deadline, interval, sleep, timeout } from "@nursery/timers";
import { JobCancelledError, WorkerError, openPool } from "@nursery/workers";

/** What a call threw or rejected with (`undefined` when it did neither). */
async function caught(call: () => unknown): Promise<unknown> {
  try {
    const result = call();
    if (typeof (result as PromiseLike<unknown> | null)?.then === "function") await result;
  } catch (err) {
    return err;
  }
  return undefined;
}

const owner = { signal: new AbortController().signal };
const url = "http://127.0.0.1:9/never-sent";
const fn = (): undefined => undefined;
// Never listens: serve() checks its options before it touches the server.
const server = createServer();
// serve() reads only the task's signal before its options fail.
const task = owner as unknown as TaskContext;
const source = (): Iterable<number> => [1, 2, 3];
// Never loaded: openPool checks its options before it starts a thread.
const worker = new URL("file:///never/loaded.mjs");
// Never spawned into: every call below fails its argument checks first.
const fakeNursery = {
  spawn() {
    throw new Error("spawned despite a bad argument");
  },
} as unknown as Nursery;

type Case = readonly [label: string, name: string, call: (bad: never) => unknown];

/** One kind of bad input, the value fed to every package, and the rule every answer must name. */
interface Kind {
  readonly bad: unknown;
  readonly answer: string;
  readonly cases: readonly Case[];
}

const kinds: Record<string, Kind> = {
  "an options bag that is a number": {
    bad: 5,
    answer: "to be an options object, got `5` (number)",
    cases: [
      ["core nursery()", "options", (o) => nursery(fn, o)],
      ["core openNursery()", "options", (o) => openNursery(o)],
      ["core moveOnAfter()", "options", (o) => moveOnAfter(10, fn, o)],
      ["timers sleep()", "options", (o) => sleep(10, o)],
      ["timers interval()", "options", (o) => interval(10, o)],
      ["timers timeout()", "options", (o) => timeout(10, fn, o)],
      ["fetch fetch()", "init", (o) => fetch(owner, url, o)],
      ["fetch new Limiter()", "options", (o) => new Limiter(o)],
      ["fetch Limiter.acquire()", "options", (o) => new Limiter({ limit: 1 }).acquire(o)],
      ["streams iterate()", "options", (o) => iterate(source(), o)],
      ["streams map()", "options", (o) => map(source(), fn, o)],
      ["streams take()", "options", (o) => take(source(), 1, o)],
      ["streams merge()", "options", (o) => merge([source()], o)],
      ["streams channel().receive()", "options", (o) => channel(1).receive(o)],
      ["process exec()", "options", (o) => exec(owner, "true", [], o)],
      ["process spawnProcess()", "options", (o) => spawnProcess(owner, "true", [], o)],
      ["workers openPool()", "options", (o) => openPool(fakeNursery, worker, o)],
      ["http serve()", "options", (o) => serve(task, server, o)],
      ["effection runOperation()", "options", (o) => runOperation(function* () {}, o)],
      ["effection useNursery()", "options", (o) => useNursery(o)],
      ["effection spawnOperation()", "options", (o) => spawnOperation(fakeNursery, function* () {}, o)],
    ],
  },
  "a signal that is a number": {
    bad: 5,
    answer: "to be an AbortSignal, got `5` (number)",
    cases: [
      ["core nursery()", "signal", (s) => nursery(fn, { signal: s })],
      ["core failAfter()", "signal", (s) => failAfter(10, fn, { signal: s })],
      ["timers sleep()", "signal", (s) => sleep(10, { signal: s })],
      ["timers interval()", "signal", (s) => interval(10, { signal: s })],
      ["fetch fetch()", "extraSignal", (s) => fetch(owner, url, { extraSignal: s })],
      ["fetch Limiter.acquire()", "signal", (s) => new Limiter({ limit: 1 }).acquire({ signal: s })],
      ["streams iterate()", "options.signal", (s) => iterate(source(), { signal: s })],
      ["streams map()", "options.signal", (s) => map(source(), fn, { signal: s })],
      ["streams take()", "options.signal", (s) => take(source(), 1, { signal: s })],
      ["streams merge()", "options.signal", (s) => merge([source()], { signal: s })],
      ["streams pipeline()", "options.signal", (s) => pipeline(source(), async () => {}, { signal: s })],
      ["streams channel().send()", "options.signal", (s) => channel(1).send(1, { signal: s })],
      ["process exec()", "task.signal", (s) => exec({ signal: s }, "true")],
      ["effection runOperation()", "options.signal", (s) => runOperation(function* () {}, { signal: s })],
      ["effection useNursery()", "options.signal", (s) => useNursery({ signal: s })],
    ],
  },
  "a callback that is a number": {
    bad: 5,
    answer: "to be a function, got `5` (number)",
    cases: [
      ["core nursery()", "body", (f) => nursery(f)],
      ["core moveOnAfter()", "fn", (f) => moveOnAfter(10, f)],
      ["timers timeout()", "fn", (f) => timeout(10, f)],
      ["streams map()", "fn", (f) => map(source(), f)],
      ["effection runOperation()", "operation", (f) => runOperation(f, owner)],
      ["effection spawnOperation()", "operation", (f) => spawnOperation(fakeNursery, f)],
      ["effection callWithSignal()", "fn", (f) => callWithSignal(f)],
      ["kit onCancel()", "callback", (f) => onCancel(owner.signal, f)],
      ["kit onTaskEnd()", "callback", (f) => onTaskEnd(owner, f)],
      ["http serve() handler", "handler", (f) => serve(task, server, { handler: f })],
      ["http serve() onError", "onError", (f) => serve(task, server, { handler: fn, onError: f })],
      ["http serve() onShutdown", "onShutdown", (f) => serve(task, server, { handler: fn, onShutdown: f })],
    ],
  },
  "a duration below zero": {
    bad: -1,
    answer: "to be a number >= 0 or Infinity, got `-1` (number)",
    cases: [
      ["core nursery() timeout", "timeout", (ms) => nursery(fn, { timeout: ms })],
      ["core nursery() childGrace", "childGrace", (ms) => nursery(fn, { childGrace: ms })],
      ["core failAfter()", "ms", (ms) => failAfter(ms, fn)],
      ["timers timeout()", "ms", (ms) => timeout(ms, fn)],
      ["fetch fetch() timeout", "timeout", (ms) => fetch(owner, url, { timeout: ms })],
      ["fetch fetch() deadline", "deadline", (ms) => fetch(owner, url, { deadline: ms })],
      ["process exec() grace", "grace", (ms) => exec(owner, "true", [], { grace: ms })],
      ["workers openPool() grace", "grace", (ms) => openPool(fakeNursery, worker, { grace: ms })],
      ["http serve() grace", "grace", (ms) => serve(task, server, { handler: fn, grace: ms })],
      ["http serve() drainDelay", "drainDelay", (ms) => serve(task, server, { handler: fn, drainDelay: ms })],
    ],
  },
  "a clock without methods": {
    bad: {},
    answer: "to be a Clock (now, setTimer, clearTimer), got `[object Object]` (object)",
    cases: [
      ["core nursery()", "clock", (c) => nursery(fn, { clock: c })],
      ["core failAfter()", "clock", (c) => failAfter(10, fn, { clock: c })],
      ["timers sleep()", "clock", (c) => sleep(10, { clock: c })],
      ["timers interval()", "clock", (c) => interval(10, { clock: c })],
      ["timers deadline()", "clock", (c) => deadline(10, fn, { clock: c })],
      ["fetch fetch()", "clock", (c) => fetch(owner, url, { clock: c })],
      ["process exec()", "clock", (c) => exec(owner, "true", [], { clock: c })],
      ["workers openPool()", "clock", (c) => openPool(fakeNursery, worker, { clock: c })],
    ],
  },
  "a boolean option that is a string": {
    bad: "yes",
    answer: 'to be a boolean, got `"yes"` (string)',
    cases: [
      ["core failAfter() shield", "shield", (b) => failAfter(10, fn, { shield: b })],
      ["fetch fetch() throwHttpErrors", "throwHttpErrors", (b) => fetch(owner, url, { throwHttpErrors: b })],
      ["fetch new Limiter() perHost", "perHost", (b) => new Limiter({ limit: 1, perHost: b })],
      ["streams iterate() preventCancel", "options.preventCancel", (b) => iterate(source(), { preventCancel: b })],
      ["process exec() allowNonZero", "allowNonZero", (b) => exec(owner, "true", [], { allowNonZero: b })],
    ],
  },
  "a count of zero where at least one is needed": {
    bad: 0,
    answer: "to be an integer >= 1 or Infinity, got `0` (number)",
    cases: [
      ["fetch new Limiter() limit", "limit", (n) => new Limiter({ limit: n })],
      ["streams map() concurrency", "options.concurrency", (n) => map(source(), fn, { concurrency: n })],
    ],
  },
};

describe("the adapter kit's argument checks across every package", () => {
  describe.each(Object.entries(kinds))("%s", (_kind, { bad, answer, cases }) => {
    it.each(cases)("%s answers with the house TypeError", async (_label, name, call) => {
      const err = await caught(() => call(bad as never));
      expectInvalidArgument(err, name);
      expect((err as TypeError).message).toBe(`Expected \`${name}\` ${answer}`);
    });

    it("is answered in the same words by every package, the argument's name aside", async () => {
      const answers = new Set<string>();
      for (const [, name, call] of cases) {
        const err = await caught(() => call(bad as never));
        const message = err instanceof TypeError ? err.message : String(err);
        expect(message).toMatch(INVALID_ARGUMENT_MESSAGE);
        answers.add(message.replace(`Expected \`${name}\` `, ""));
      }
      expect([...answers]).toEqual([answer]);
    });
  });

  it("covers every package that takes arguments", () => {
    const packages = new Set(
      Object.values(kinds).flatMap(({ cases }) => cases.map(([label]) => label.split(" ")[0])),
    );
    expect([...packages].sort()).toEqual(["core", "effection", "fetch", "http", "kit", "process", "streams", "timers", "workers"]);
  });
});

describe("the adapter kit's error classes across every package", () => {
  const classes: [string, new (...args: never[]) => Error][] = [
    ["core CancelledError", CancelledError],
    ["core TimeoutError", TimeoutError],
    ["fetch HttpError", HttpError],
    ["fetch TaskEndedError", TaskEndedError],
    ["streams ChannelClosedError", ChannelClosedError],
    ["streams PipelineStageError", PipelineStageError],
    ["process ProcessError", ProcessError],
    ["workers WorkerError", WorkerError],
    ["workers JobCancelledError", JobCancelledError],
  ];

  it.each(classes)("%s answers instanceof with false, never throwing, for a revoked Proxy and a throwing getter", (_label, cls) => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(proxy instanceof cls).toBe(false);
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("hostile getter");
        },
      },
    );
    expect(hostile instanceof cls).toBe(false);
    expect(Object.assign(new Error("look-alike"), { code: "ERR_HTTP_STATUS" }) instanceof cls).toBe(false);
  });
});
