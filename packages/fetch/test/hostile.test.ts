// Hostile input for @nursery/fetch (fetch, Limiter, backoffDelay): wrong types, NaN, negative and
// huge numbers, already-aborted signals and already-cancelled tasks, hostile clocks and limiters,
// and re-entrant calls (cancelling from inside a body read, a limiter hand-off, a retry's delay()).
// Each gives a TypeError in the house shape or a documented behaviour, never a hang and never
// leftover state: no request sent when refused, listener counts back to baseline, limiter counts
// back to zero, no timer left on the clock.
//
// "Never a hang" is decided without real time: time is a VirtualClock, and a promise counts as
// settled when it did so within a bounded number of event-loop turns (`within()`). Waits for the
// network are for a server-side event (`srv.when`, `srv.nextRequest`), never a delay.
// HTTP goes only to a loopback `http.createServer().listen(0, "127.0.0.1")`, closed after each test.
import { describe, expect, it } from "@jest/globals";
import { setMaxListeners } from "node:events";
import { CancelledError, nursery, TimeoutError, type Clock, type TaskContext } from "@nursery/core";
import { VirtualClock, expectInvalidArgument, NOT_DURATIONS, thrown, settledWithin as within, settledBy, eventLoopTurns as turns, type Settled } from "@nursery/core/testing";
import { backoffDelay, fetch, Limiter, TaskEndedError, type FetchInit, type FetchTask } from "@nursery/fetch";
import { flaky, listeners, until, type Handler, serverPerTest } from "./support/server.js";

// Argument errors are checked with expectInvalidArgument, for the house shape:
// Expected `name` to be <what>, got `<value>` (<typeof>). `()` in a name marks a callback's result.
// Deliberately wrong input: `never` fits any parameter, so the type checker lets it through.
const bad = (value: unknown): never => value as never;

/**
 * Like `within`, for outcomes that need the network first: waits until `promise` settles, for at
 * most `until()`'s bounded number of event-loop turns (then the test fails instead of hanging).
 */
const outcome = (promise: PromiseLike<unknown>): Promise<Settled> => settledBy(promise, (settled) => until(settled));

/** Calls `call`, which must not throw synchronously, and returns what it rejected with within a few turns. */
async function refused(call: () => Promise<unknown>): Promise<unknown> {
  let promise: Promise<unknown> | undefined;
  const syncError = thrown(() => (promise = call()));
  expect(syncError).toBeUndefined();
  const result = await within(promise as Promise<unknown>);
  expect(result.state).toBe("rejected");
  return (result as { error: unknown }).error;
}

const start = serverPerTest();

/** An owner that is a bare `{ signal }`, so its listeners can be counted. */
function owner(): { controller: AbortController; task: FetchTask } {
  const controller = new AbortController();
  setMaxListeners(100, controller.signal);
  return { controller, task: { signal: controller.signal } };
}


/** A response that sends "first" and then stalls until the server is closed. */
const stalls: Handler = ({ res }) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.write("first");
};

const notNumbers = NOT_DURATIONS;
const hugeNumbers: [string, number][] = [
  ["2^31", 2 ** 31],
  ["2^53", 2 ** 53],
  ["1e300", 1e300],
  ["Number.MAX_VALUE", Number.MAX_VALUE],
];
const notSignals: unknown[] = [{}, new AbortController(), { aborted: false }, true, null, "signal", 0];

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}
const throwingGetters = (): object =>
  new Proxy(
    {},
    {
      get: () => {
        throw new Error("getter");
      },
      has: () => {
        throw new Error("has");
      },
      getPrototypeOf: () => {
        throw new Error("proto");
      },
    },
  );

// ------------------------------------------------------------------------------------------------
// Wrong types, NaN, negative and huge numbers
// ------------------------------------------------------------------------------------------------

describe("fetch: hostile numbers", () => {
  it.each(notNumbers)(
    "timeout, deadline, retry, retry.limit and retry.maxRetryAfter of %s reject in the house shape, sending nothing",
    async (_label, value) => {
      const srv = await start();
      const { controller, task } = owner();
      const extra = new AbortController();
      const retryName = typeof value === "object" && value !== null ? "retry.limit" : "retry";
      const calls: [string, FetchInit][] = [
        ["timeout", { timeout: bad(value) }],
        ["deadline", { deadline: bad(value) }],
        [retryName, { retry: bad(value) }],
        ["retry.limit", { retry: { limit: bad(value) } }],
        ["retry.maxRetryAfter", { retry: { limit: 1, maxRetryAfter: bad(value) } }],
      ];
      for (const [name, init] of calls) {
        expectInvalidArgument(await refused(() => fetch(task, srv.url(), { ...init, extraSignal: extra.signal })), name);
      }
      expect(srv.count).toBe(0);
      expect(listeners(controller.signal)).toBe(0);
      expect(listeners(extra.signal)).toBe(0);
    },
  );

  it.each([["Infinity", Infinity], ["1.5", 1.5], ["2^53", 2 ** 53]] as [string, number][])(
    "a retry count of %s is not an integer a request can be retried: refused",
    async (_label, value) => {
      const srv = await start();
      expectInvalidArgument(await refused(() => fetch(owner().task, srv.url(), { retry: value })), "retry");
      expectInvalidArgument(await refused(() => fetch(owner().task, srv.url(), { retry: { limit: value } })), "retry.limit");
      expect(srv.count).toBe(0);
    },
  );

  it.each([...hugeNumbers, ["Infinity", Infinity] as [string, number], ["-0", -0] as [string, number]])(
    "accepts timeout, deadline and maxRetryAfter of %s: the request succeeds and leaves no timer, listener or slot",
    async (_label, value) => {
      const srv = await start();
      const clock = new VirtualClock();
      const limiter = new Limiter({ limit: 1 });
      const { controller, task } = owner();
      const res = await fetch(task, srv.url(), { timeout: value, deadline: value, clock, limiter, retry: { limit: 2, maxRetryAfter: value } });
      expect(limiter.active).toBe(1); // held until the body is done
      expect(await res.text()).toBe("hello");
      expect(clock.pending).toBe(0);
      expect(listeners(controller.signal)).toBe(0);
      expect(limiter.active).toBe(0);
    },
  );

  it.each(hugeNumbers.flatMap(([label, v]) => [["timeout", label, v], ["deadline", label, v]] as const))(
    "a %s of %s never fires early (past setTimeout's 2^31-1 limit); cancelling clears its timer and closes the socket",
    async (option, _label, value) => {
      const srv = await start(() => {}); // never answers
      const clock = new VirtualClock();
      const { controller, task } = owner();
      const pending = fetch(task, srv.url(), option === "timeout" ? { timeout: value, clock } : { deadline: value, clock });
      const exchange = await srv.nextRequest();
      await clock.advance(2 ** 31 - 1);
      expect((await within(pending)).state).toBe("pending");
      expect(clock.pending).toBe(1);
      const reason = new Error("enough");
      controller.abort(reason);
      expect(await within(pending)).toEqual({ state: "rejected", error: reason });
      await exchange.socketClosed;
      expect(clock.pending).toBe(0);
      expect(listeners(controller.signal)).toBe(0);
    },
  );

  it.each([["0", 0, 0], ["-0", -0, 0], ["1e-9", 1e-9, 1]] as [string, number, number][])(
    "a timeout or deadline of %s passes at the next clock step: TimeoutError, nothing left behind",
    async (_label, value, step) => {
      const srv = await start(() => {}); // never answers
      for (const option of ["timeout", "deadline"] as const) {
        const clock = new VirtualClock();
        const { controller, task } = owner();
        const pending = fetch(task, srv.url(), option === "timeout" ? { timeout: value, clock } : { deadline: value, clock });
        expect((await within(pending, 2)).state).toBe("pending"); // nothing fires before the clock moves
        await clock.advance(step);
        const result = await within(pending);
        expect(result.state).toBe("rejected");
        expect((result as { error: unknown }).error).toBeInstanceOf(TimeoutError);
        expect(clock.pending).toBe(0);
        expect(listeners(controller.signal)).toBe(0);
      }
    },
  );

  it("retry: MAX_SAFE_INTEGER with a Retry-After of 10^12 s under maxRetryAfter: Infinity waits on the clock; cancelling the wait ends it", async () => {
    const srv = await start(flaky(Infinity, "1000000000000"));
    const clock = new VirtualClock();
    const limiter = new Limiter({ limit: 1 });
    const { controller, task } = owner();
    const pending = fetch(task, srv.url(), { retry: { limit: Number.MAX_SAFE_INTEGER, maxRetryAfter: Infinity }, clock, limiter });
    await until(() => clock.pending === 1); // the backoff
    expect(limiter.active).toBe(0); // no slot is held while backing off
    await clock.advance(2 ** 31);
    expect(srv.count).toBe(1);
    const reason = new Error("stop retrying");
    controller.abort(reason);
    expect(await within(pending)).toEqual({ state: "rejected", error: reason });
    expect(srv.count).toBe(1);
    expect(clock.pending).toBe(0);
    expect(limiter.active).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });
});

describe("fetch: hostile argument types", () => {
  const cases: [string, unknown[], (value: unknown) => FetchInit][] = [
    ["init.signal", [null, new AbortController().signal, {}, false, 0], (v) => bad({ signal: v })],
    ["extraSignal", notSignals, (v) => ({ extraSignal: bad(v) })],
    ["retry.methods", ["GET", [5], [null], null, {}], (v) => ({ retry: { limit: 1, methods: bad(v) } })],
    ["retry.statusCodes", [[99], [600], [503.5], ["503"], "503", null, [NaN]], (v) => ({ retry: { limit: 1, statusCodes: bad(v) } })],
    ["retry.delay", [5, "fn", null, {}], (v) => ({ retry: { limit: 1, delay: bad(v) } })],
    ["limiter", [null, 5, {}, { acquire: 5 }, "limiter", []], (v) => ({ limiter: bad(v) })],
    ["throwHttpErrors", ["true", 1, 0, null], (v) => ({ throwHttpErrors: bad(v) })],
    ["clock", [null, 5, {}, Date, { now: () => 0, setTimer: () => ({}) }], (v) => ({ clock: bad(v) })],
    ["init.method", [5, null, {}, Symbol("m")], (v) => ({ method: bad(v) })],
  ];

  it.each(cases)("%s: every wrong value rejects in the house shape, sends nothing and adds no listener", async (name, values, init) => {
    const srv = await start();
    const { controller, task } = owner();
    for (const value of values) expectInvalidArgument(await refused(() => fetch(task, srv.url(), init(value))), name);
    expect(srv.count).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("a task that is not one (wrong type, signal-less, revoked or throwing proxy, bad clock) rejects in the house shape", async () => {
    const srv = await start();
    const signal = new AbortController().signal;
    for (const task of [undefined, null, 5, "task", Symbol("t"), {}, { signal: 5 }, { signal: {} }, { signal: null }, revokedProxy(), throwingGetters()]) {
      expectInvalidArgument(await refused(() => fetch(bad(task), srv.url())), "task");
    }
    // The owner's own clock is checked like the option: it would otherwise fail later, or not at all.
    for (const clock of [5, null, {}, Date]) {
      expectInvalidArgument(await refused(() => fetch(bad({ signal, clock }), srv.url(), { deadline: 5 })), "task.clock");
    }
    expect(srv.count).toBe(0);
    expect(listeners(signal)).toBe(0);
  });

  it("an input that is not an absolute http(s) URL rejects in the house shape", async () => {
    const srv = await start();
    const inputs = [undefined, null, 5, {}, "", "/path", "ftp://x/", "data:,x", "file:///etc/passwd", "javascript:1", "http://", "http://[::1", { href: srv.url() }, [srv.url()], new String(srv.url()), new URL("file:///x")];
    for (const input of inputs) expectInvalidArgument(await refused(() => fetch(owner().task, bad(input))), "input");
    expect(srv.count).toBe(0);
  });

  it("init of the wrong type rejects in the house shape; init whose getters throw rejects with that error, never throws", async () => {
    const srv = await start();
    const { controller, task } = owner();
    for (const init of [null, 5, "init", true, Symbol("i")]) expectInvalidArgument(await refused(() => fetch(task, srv.url(), bad(init))), "init");
    const err = await refused(() => fetch(task, srv.url(), bad(throwingGetters())));
    expect((err as Error).message).toBe("getter");
    expect(srv.count).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("a Request the platform cannot build (credentials, forbidden method, GET body, bad header) rejects without sending, retrying or holding anything", async () => {
    const srv = await start();
    const clock = new VirtualClock();
    const limiter = new Limiter({ limit: 1 });
    const { controller, task } = owner();
    const options: FetchInit = { limiter, clock, deadline: 1000, timeout: 1000, retry: { limit: 3, delay: () => 0 } };
    const attempts: [string, FetchInit][] = [
      [srv.url().replace("http://", "http://user:pass@"), {}],
      [srv.url(), { method: "CONNECT" }],
      [srv.url(), { method: "" }],
      [srv.url(), { method: "GET", body: "a body" }],
      [srv.url(), { headers: { "bad header": "x" } }],
    ];
    for (const [url, init] of attempts) {
      const err = await refused(() => fetch(task, url, { ...options, ...init }));
      expect((err as Error).name).toBe("TypeError"); // the platform's own (another realm under jest), as documented
      expect(limiter.active).toBe(0);
      expect(clock.pending).toBe(0);
    }
    expect(srv.count).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
    // The limiter was handed back each time: a real request still gets its slot.
    expect(await (await fetch(task, srv.url(), { limiter })).text()).toBe("hello");
  });
});

describe("Limiter and backoffDelay: hostile arguments", () => {
  it("new Limiter() refuses options, limit and perHost of the wrong type or range", () => {
    for (const options of [undefined, null, 5, "x", Symbol("o")]) expectInvalidArgument(thrown(() => new Limiter(bad(options))), "options");
    for (const limit of [undefined, 0, -1, -0.5, 1.5, NaN, -Infinity, 2 ** 53, "3", null, 10n, [2]]) {
      expectInvalidArgument(thrown(() => new Limiter(bad({ limit }))), "limit");
    }
    for (const perHost of ["yes", 1, null, {}]) expectInvalidArgument(thrown(() => new Limiter(bad({ limit: 1, perHost }))), "perHost");
    expect(new Limiter({ limit: Number.MAX_SAFE_INTEGER }).limit).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("acquire() rejects (never throws) options, signal and host of the wrong type, taking no slot", async () => {
    const limiter = new Limiter({ limit: 1 });
    const perHost = new Limiter({ limit: 1, perHost: true });
    for (const options of [null, 5, "x", true]) expectInvalidArgument(await refused(() => limiter.acquire(bad(options))), "options");
    for (const signal of notSignals) expectInvalidArgument(await refused(() => limiter.acquire(bad({ signal }))), "signal");
    for (const host of [5, null, {}, ["a"]]) {
      expectInvalidArgument(await refused(() => limiter.acquire(bad({ host }))), "host");
      expectInvalidArgument(await refused(() => perHost.acquire(bad({ host }))), "host");
    }
    expectInvalidArgument(await refused(() => perHost.acquire()), "host");
    for (const l of [limiter, perHost]) expect([l.active, l.waiting]).toEqual([0, 0]);
  });

  it("a limit of Infinity never queues: 1000 slots at once, all given back", async () => {
    const limiter = new Limiter({ limit: Infinity, perHost: true });
    const slots = await Promise.all(Array.from({ length: 1000 }, (_, i) => limiter.acquire({ host: `h${i % 7}` })));
    expect([limiter.active, limiter.waiting]).toEqual([1000, 0]);
    for (const slot of slots) slot.release();
    expect(limiter.active).toBe(0);
  });

  it("backoffDelay() refuses a retry number or random source of the wrong type, and a random() outside [0, 1]", () => {
    for (const retry of [NaN, 0, -1, 1.5, -Infinity, "1", null, undefined, 10n]) expectInvalidArgument(thrown(() => backoffDelay(bad(retry))), "retry");
    for (const random of [null, 5, "r", {}]) expectInvalidArgument(thrown(() => backoffDelay(1, bad(random))), "random");
    for (const r of [NaN, -0.1, 1.5, Infinity, "0.5", undefined]) expectInvalidArgument(thrown(() => backoffDelay(1, () => bad(r))), "random()");
    // Huge retry numbers are capped at 30 s, not overflowed.
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, () => 1)).toBe(30_000);
    expect(backoffDelay(Infinity, () => 0)).toBe(15_000);
  });
});

// ------------------------------------------------------------------------------------------------
// Already-aborted signals, already-cancelled and already-ended tasks
// ------------------------------------------------------------------------------------------------

describe("fetch: already aborted, cancelled or ended", () => {
  const thenable = { then: (): void => {} }; // a rejection reason that looks like a promise
  const reasons: [string, unknown][] = [
    ["an Error", new Error("already")],
    ["a string", "already"],
    ["null", null],
    ["0", 0],
    ["false", false],
    ["a Symbol", Symbol("already")],
    ["a thenable", thenable],
    ["none (AbortError)", undefined],
  ];

  it.each(reasons)(
    "an owner aborted with %s rejects at once with that very reason: nothing sent, no slot, no timer, no listener",
    async (_label, given) => {
      const srv = await start();
      const clock = new VirtualClock();
      const limiter = new Limiter({ limit: 1 });
      const held = await limiter.acquire(); // a full limiter: the call must not even queue
      const controller = new AbortController();
      controller.abort(given);
      const reason: unknown = controller.signal.reason;
      const extra = new AbortController();
      const broken: Clock = { now: () => 0, setTimer: () => { throw new Error("clock touched"); }, clearTimer: () => {} };
      const calls: (() => Promise<unknown>)[] = [
        () => fetch({ signal: controller.signal }, srv.url()),
        () => fetch({ signal: controller.signal }, srv.url(), { limiter, clock, deadline: 10, timeout: 10, retry: 3, extraSignal: extra.signal }),
        () => fetch({ signal: controller.signal }, srv.url(), { clock: broken, deadline: 10 }),
        () => fetch({ signal: new AbortController().signal }, srv.url(), { extraSignal: controller.signal, limiter }),
        () => limiter.acquire({ signal: controller.signal }),
      ];
      for (const call of calls) {
        // Not refused(): an async function returning the thenable reason would adopt it.
        expect(await within(call())).toEqual({ state: "rejected", error: reason });
      }
      expect(srv.count).toBe(0);
      expect([limiter.active, limiter.waiting]).toEqual([1, 0]);
      expect(clock.pending).toBe(0);
      expect(listeners(controller.signal)).toBe(0);
      expect(listeners(extra.signal)).toBe(0);
      held.release();
    },
  );

  it("when both the owner and extraSignal are aborted, the owner's reason wins", async () => {
    const srv = await start();
    const a = new AbortController();
    const b = new AbortController();
    a.abort("owner");
    b.abort("extra");
    expect(await refused(() => fetch({ signal: a.signal }, srv.url(), { extraSignal: b.signal }))).toBe("owner");
    expect(srv.count).toBe(0);
  });

  it("a cancelled core task: fetch(task) and limiter.acquire(task) reject with its own CancelledError, sending nothing", async () => {
    const srv = await start();
    const limiter = new Limiter({ limit: 1 });
    const seen: unknown[] = [];
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        await new Promise((resolve) => task.signal.addEventListener("abort", resolve));
        seen.push(await refused(() => fetch(task, srv.url(), { limiter, retry: 2, deadline: 10 })));
        seen.push(await refused(() => limiter.acquire(task)));
        seen.push(task.signal.reason);
      });
      t.cancel("gone");
    });
    expect(seen[0]).toBeInstanceOf(CancelledError);
    expect(seen[0]).toBe(seen[2]);
    expect(seen[1]).toBe(seen[2]);
    expect(srv.count).toBe(0);
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
  });

  it("a task that already returned: rejects with TaskEndedError before the clock, the limiter or the network is touched", async () => {
    const srv = await start();
    const limiter = new Limiter({ limit: 1 });
    const held = await limiter.acquire(); // a full limiter: the call must not even queue
    const broken: Clock = { now: () => 0, setTimer: () => { throw new Error("clock touched"); }, clearTimer: () => {} };
    const extra = new AbortController();
    let ended!: TaskContext;
    await nursery((n) => {
      n.spawn((task) => {
        ended = task;
      });
    });
    const inits: FetchInit[] = [
      {},
      { limiter, clock: broken, deadline: 10, timeout: 10, retry: 3, extraSignal: extra.signal },
    ];
    for (const init of inits) {
      const err = await refused(() => fetch(ended, srv.url(), init));
      expect(err).toBeInstanceOf(TaskEndedError);
      expect(err).toMatchObject({ phase: "send", task: ended.name, url: srv.url() });
    }
    expect(srv.count).toBe(0);
    expect([limiter.active, limiter.waiting]).toEqual([1, 0]);
    expect(listeners(extra.signal)).toBe(0);
    held.release();
  });
});

// ------------------------------------------------------------------------------------------------
// Hostile clocks and limiters
// ------------------------------------------------------------------------------------------------

describe("fetch: hostile clocks and limiters", () => {
  const broken: Clock = { now: () => 0, setTimer: () => { throw new Error("clock broke"); }, clearTimer: () => {} };

  it("a clock whose setTimer throws: the call rejects with that error (never throws) and leaves no listener on the owner or extraSignal", async () => {
    // Regression: the deadline timer was set after the listeners, outside fetch()'s try: fetch()
    // threw synchronously and one listener stayed on each signal for good.
    const srv = await start(flaky(1));
    const limiter = new Limiter({ limit: 1 });
    const { controller, task } = owner();
    const extra = new AbortController();
    const inits: FetchInit[] = [
      { clock: broken, deadline: 5 }, // at the call
      { clock: broken, timeout: 5 }, // at the attempt
      { clock: broken, retry: 1 }, // at the backoff, after a 503
    ];
    for (const init of inits) {
      let pending: Promise<unknown> | undefined;
      expect(thrown(() => (pending = fetch(task, srv.url(), { ...init, limiter, extraSignal: extra.signal })))).toBeUndefined();
      const result = await outcome(pending as Promise<unknown>); // the third needs a 503 first
      expect(result.state).toBe("rejected");
      expect(((result as { error: unknown }).error as Error).message).toBe("clock broke");
      expect(listeners(controller.signal)).toBe(0);
      expect(listeners(extra.signal)).toBe(0);
      expect(limiter.active).toBe(0);
    }
  });

  it("a clock that calls back synchronously from setTimer(0): deadline 0 and timeout 0 reject with TimeoutError before anything is sent", async () => {
    const srv = await start();
    const syncClock: Clock = {
      now: () => 0,
      setTimer: (ms, callback) => {
        if (ms === 0) callback();
        return {};
      },
      clearTimer: () => {},
    };
    const limiter = new Limiter({ limit: 1 });
    const { controller, task } = owner();
    for (const init of [{ deadline: 0 }, { timeout: 0 }, { timeout: 0, retry: { limit: 2, delay: () => 0 } }]) {
      const err = await refused(() => fetch(task, srv.url(), { ...init, clock: syncClock, limiter }));
      expect(err).toBeInstanceOf(TimeoutError);
      expect(listeners(controller.signal)).toBe(0);
      expect(limiter.active).toBe(0);
    }
    await turns(5);
    expect(srv.count).toBe(0);
  });

  it("a limiter whose acquire() throws or rejects: the call rejects with that error, sending nothing and keeping no listener", async () => {
    const srv = await start();
    const { controller, task } = owner();
    const throws = { acquire: (): never => { throw new Error("acquire threw"); } };
    const rejects = { acquire: () => Promise.reject(new Error("acquire rejected")) };
    expect(((await refused(() => fetch(task, srv.url(), { limiter: bad(throws) }))) as Error).message).toBe("acquire threw");
    expect(((await refused(() => fetch(task, srv.url(), { limiter: bad(rejects) }))) as Error).message).toBe("acquire rejected");
    // One that hands out no slot at all: nothing to release, the request still works.
    const empty = { acquire: () => Promise.resolve(undefined) };
    expect(await (await fetch(task, srv.url(), { limiter: bad(empty) })).text()).toBe("hello");
    expect(srv.count).toBe(1);
    expect(listeners(controller.signal)).toBe(0);
  });
});

// ------------------------------------------------------------------------------------------------
// Re-entrant calls
// ------------------------------------------------------------------------------------------------

describe("fetch: re-entrant calls", () => {
  it("cancelling the task from inside a body read (a pipeTo sink's write) rejects the pipe with its CancelledError; the nursery resolves", async () => {
    const srv = await start(stalls);
    const limiter = new Limiter({ limit: 1 });
    const seen: unknown[] = [];
    const result = await nursery(async (n) => {
      n.spawn(async (task) => {
        const res = await fetch(task, srv.url(), { limiter });
        const sink = new WritableStream<Uint8Array>({
          write() {
            task.nursery.cancel("from inside the read");
          },
        });
        const piped = await outcome(res.body!.pipeTo(sink));
        expect(piped.state).toBe("rejected");
        seen.push((piped as { error: unknown }).error);
        seen.push(task.signal.reason);
        throw seen[0]; // rethrown: a cancellation, not a failure
      });
      return "body";
    });
    expect(result).toBe("body");
    expect(seen[0]).toBeInstanceOf(CancelledError);
    expect(seen[0]).toBe(seen[1]);
    await srv.exchanges[0]?.socketClosed;
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
  });

  it("aborting the owner from inside a for-await over the body rejects the loop with the reason and closes the connection", async () => {
    const srv = await start(stalls);
    const { controller, task } = owner();
    const reason = new Error("from the loop");
    const res = await fetch(task, srv.url());
    const chunks: string[] = [];
    const loop = (async () => {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        chunks.push(new TextDecoder().decode(chunk));
        controller.abort(reason);
      }
    })();
    expect(await outcome(loop)).toEqual({ state: "rejected", error: reason });
    expect(chunks).toEqual(["first"]);
    await srv.exchanges[0]?.socketClosed;
    expect(listeners(controller.signal)).toBe(0);
  });

  it("aborting from the fetch's own then(), before the body is read: text(), arrayBuffer() and a reader all reject with the reason", async () => {
    const srv = await start();
    const { controller, task } = owner();
    const reason = new Error("changed my mind");
    const res = await fetch(task, srv.url()).then((r) => {
      controller.abort(reason);
      controller.abort("again"); // a second abort is a no-op
      return r;
    });
    expect(await refused(() => res.text())).toBe(reason);
    expect(((await refused(() => res.arrayBuffer())) as Error).name).toBe("TypeError"); // the platform: body already used
    expect(listeners(controller.signal)).toBe(0);
  });

  it("cancelling the body while a read is pending, cancelling it twice, then aborting the owner: done, no error, nothing held", async () => {
    const srv = await start(stalls);
    const limiter = new Limiter({ limit: 1 });
    const { controller, task } = owner();
    const res = await fetch(task, srv.url(), { limiter });
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    const pending = reader.read();
    await reader.cancel("mine");
    await reader.cancel("again");
    expect(await within(pending)).toEqual({ state: "fulfilled", value: { done: true, value: undefined } });
    controller.abort("too late");
    await srv.exchanges[0]?.socketClosed;
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("fetch() from inside the owner's own abort listener rejects at once with the reason and sends nothing", async () => {
    const srv = await start();
    const { controller, task } = owner();
    let inner: Promise<unknown> | undefined;
    // A block body: Node's EventTarget reports a promise returned by a listener when it rejects.
    controller.signal.addEventListener("abort", () => {
      inner = fetch(task, srv.url());
    }, { once: true });
    controller.abort("stop");
    expect(await within(inner as Promise<unknown>)).toEqual({ state: "rejected", error: "stop" });
    expect(srv.count).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("the owner's signal passed again as extraSignal: two listeners while in flight, none after; the reason is its own", async () => {
    const srv = await start(() => {});
    const { controller, task } = owner();
    const pending = fetch(task, srv.url(), { extraSignal: controller.signal });
    await srv.nextRequest();
    expect(listeners(controller.signal)).toBe(2);
    controller.abort("once");
    expect(await within(pending)).toEqual({ state: "rejected", error: "once" });
    expect(listeners(controller.signal)).toBe(0);
  });

  it("a request cancelled in the very tick its limiter slot is handed over gives the slot straight back and sends nothing", async () => {
    const srv = await start();
    const limiter = new Limiter({ limit: 1 });
    for (const order of ["release, then abort", "abort, then release"]) {
      const held = await limiter.acquire();
      const { controller, task } = owner();
      const pending = fetch(task, srv.url(), { limiter });
      expect(limiter.waiting).toBe(1);
      const reason = new Error(order);
      if (order === "release, then abort") {
        held.release(); // hands the slot to the waiting request...
        controller.abort(reason); // ...which is cancelled before it can use it
      } else {
        controller.abort(reason);
        held.release();
      }
      expect(await within(pending)).toEqual({ state: "rejected", error: reason });
      expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
      expect(listeners(controller.signal)).toBe(0);
    }
    expect(srv.count).toBe(0);
  });

  it("a task cancelled while waiting for a limiter slot leaves the queue; the others proceed and every slot comes back", async () => {
    const srv = await start(() => {}); // answers only when told
    const limiter = new Limiter({ limit: 1 });
    const outcomes: unknown[] = [];
    await nursery(async (n) => {
      const run = (name: string) =>
        n.spawn(async (task) => {
          const res = await fetch(task, srv.url(`/${name}`), { limiter }).catch((e: unknown) => e);
          outcomes.push(res instanceof Response ? `${name}:${await res.text()}` : res);
        });
      run("a");
      const waiting = run("b");
      run("c");
      const first = await srv.nextRequest();
      await until(() => limiter.waiting === 2);
      waiting.cancel("not needed");
      await until(() => limiter.waiting === 1);
      first.res.end("A");
      (await srv.nextRequest()).res.end("C");
    });
    expect(outcomes).toEqual([expect.any(CancelledError), "a:A", "c:C"]);
    expect(srv.exchanges.map((e) => e.req.url)).toEqual(["/a", "/c"]);
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
  });

  it("20 requests on one owner through a limiter of 2, aborted from the first response's handler: all reject with the reason, nothing held", async () => {
    const srv = await start();
    const limiter = new Limiter({ limit: 2 });
    const { controller, task } = owner();
    const reason = new Error("enough");
    const all = Array.from({ length: 20 }, () =>
      fetch(task, srv.url(), { limiter }).then((res) => {
        controller.abort(reason);
        return res.text();
      }),
    );
    const results = await Promise.allSettled(all);
    expect(results.every((r) => r.status === "rejected" && r.reason === reason)).toBe(true);
    expect(srv.count).toBeLessThanOrEqual(2);
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("retry.delay() that returns NaN, throws, or aborts the owner: each ends the call after one request, holding nothing", async () => {
    const srv = await start(flaky(Infinity));
    const clock = new VirtualClock();
    const limiter = new Limiter({ limit: 1 });
    const { controller, task } = owner();
    const reason = new Error("aborted inside delay()");
    const cases: [string, (retry: number) => number, (err: unknown) => void][] = [
      ["NaN", () => NaN, (err) => {
        expect(err).toBeInstanceOf(TypeError);
        expect((err as Error).message).toBe("Expected `retry.delay()` to return a finite number >= 0, got `NaN` (number)");
      }],
      ["throws", () => { throw new Error("delay threw"); }, (err) => expect((err as Error).message).toBe("delay threw")],
      ["aborts", () => { controller.abort(reason); return 10; }, (err) => expect(err).toBe(reason)],
    ];
    for (const [_label, delay, check] of cases) {
      const before = srv.count;
      const result = await outcome(fetch(task, srv.url(), { retry: { limit: 5, delay }, clock, limiter }));
      expect(result.state).toBe("rejected");
      check((result as { error: unknown }).error);
      expect(srv.count - before).toBe(1);
      expect(clock.pending).toBe(0);
      expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
      expect(listeners(controller.signal)).toBe(0);
    }
  });

  it("extraSignal aborted while a retry backoff is pending: rejects with its reason, the slot went to the next waiter meanwhile", async () => {
    const srv = await start(flaky(1, "5"));
    const clock = new VirtualClock();
    const limiter = new Limiter({ limit: 1 });
    const { controller, task } = owner();
    const extra = new AbortController();
    const pending = fetch(task, srv.url("/retrying"), { retry: 3, clock, limiter, extraSignal: extra.signal });
    await until(() => clock.pending === 1); // backing off for Retry-After: 5 s
    const other = await limiter.acquire(); // free meanwhile: the backoff holds no slot
    const reason = new Error("client went away");
    extra.abort(reason);
    expect(await within(pending)).toEqual({ state: "rejected", error: reason });
    await clock.advance(10_000);
    expect(srv.count).toBe(1);
    other.release();
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
    expect(clock.pending).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
    expect(listeners(extra.signal)).toBe(0);
  });
});

describe("Limiter: re-entrant calls", () => {
  it("a slot disposed twice, released after dispose, or released after its hand-off never frees another holder's slot", async () => {
    const limiter = new Limiter({ limit: 1 });
    const a = await limiter.acquire();
    const b = limiter.acquire();
    a[Symbol.dispose](); // hands the slot to b
    a[Symbol.dispose]();
    a.release();
    const slotB = await b;
    expect([limiter.active, limiter.waiting]).toEqual([1, 0]);
    const c = limiter.acquire();
    expect((await within(c, 3)).state).toBe("pending"); // b still holds the only slot
    {
      using held = slotB;
      void held;
    }
    slotB.release();
    slotB[Symbol.dispose]();
    const slotC = await c;
    expect([limiter.active, limiter.waiting]).toEqual([1, 0]);
    slotC.release();
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
  });

  it("releasing and re-acquiring from inside a hand-off keeps FIFO order and the counts", async () => {
    const limiter = new Limiter({ limit: 1 });
    const order: string[] = [];
    const a = await limiter.acquire();
    const b = limiter.acquire().then(async (slot) => {
      order.push("b");
      slot.release();
      slot.release();
      const again = await limiter.acquire(); // queued behind c
      order.push("b again");
      again.release();
    });
    const c = limiter.acquire().then((slot) => {
      order.push("c");
      slot.release();
    });
    a.release();
    await Promise.all([b, c]);
    expect(order).toEqual(["b", "c", "b again"]);
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
  });

  it("a slot released from inside the waiter's own abort listener: the waiter ends exactly once and the counts stay right", async () => {
    const limiter = new Limiter({ limit: 1 });
    const a = await limiter.acquire();
    const controller = new AbortController();
    controller.signal.addEventListener("abort", () => a.release(), { once: true }); // runs before the limiter's listener
    const waiter = limiter.acquire({ signal: controller.signal });
    controller.abort("late");
    const result = await within(waiter);
    // Either outcome is sound; what matters is that nothing is counted twice or lost.
    if (result.state === "fulfilled") {
      expect([limiter.active, limiter.waiting]).toEqual([1, 0]); // the hand-off won: the caller holds the slot
      (result.value as { release(): void }).release();
    } else {
      expect(result).toEqual({ state: "rejected", error: "late" });
    }
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("1000 waiters on one signal aborted at once, and an acquire() from a rejection handler: all reject with the reason, the queue empties", async () => {
    const limiter = new Limiter({ limit: 1 });
    const held = await limiter.acquire();
    const controller = new AbortController();
    setMaxListeners(2000, controller.signal);
    let late: Promise<unknown> | undefined;
    const waiters = Array.from({ length: 1000 }, (_, i) =>
      limiter.acquire({ signal: controller.signal }).catch((e: unknown) => {
        if (i === 0) late = limiter.acquire({ signal: controller.signal }).catch((err: unknown) => err);
        return e;
      }),
    );
    expect(limiter.waiting).toBe(1000);
    controller.abort("all of you");
    expect(await Promise.all(waiters)).toEqual(Array.from({ length: 1000 }, () => "all of you"));
    expect(await late).toBe("all of you");
    expect([limiter.active, limiter.waiting]).toEqual([1, 0]);
    expect(listeners(controller.signal)).toBe(0);
    held.release();
    expect(limiter.active).toBe(0);
  });
});
