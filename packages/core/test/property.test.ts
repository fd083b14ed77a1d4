// Property tests: the nursery's guarantees over random task trees (fast-check, virtual time).
//
// Each run builds a random tree (depth <= 5, <= 200 tasks): leaf tasks with random behaviour
// (succeed, fail, throw a foreign AbortError, join a younger sibling, run synchronously, be started
// with start()) and a random reaction to cancellation (reject at once, ignore it until done, slow
// cleanup, swallow it, fail in cleanup, reject with an AbortError), and nested nurseries with random
// cancelOrder, childGrace, timeout, explicit cancel() and late spawns. The root gets a random trigger
// (cancel(), its outside signal, a timeout, or a failing child) at a random virtual time.
//
// The run is recorded as an event log of {seq, virtual time}: a task's "turn" (its signal aborted or
// its onCancel hook ran), its settlement, each body's turn and settlement, each nursery's
// settlement. Every run is then checked against every invariant below; a violation fails the run
// with a list of what broke, and fast-check shrinks it. Time moves only through a VirtualClock, so a
// run is a pure function of its input: a seed replays it exactly.
//
// Invariants (section 4 and 4a of the design):
//   I1 every task, and the body, settled before its nursery settled; no live child, no pending
//      library timer, no running Task handle at that moment;
//   I2 every real error appears exactly once in the root's outcome (nested NurseryErrors flattened),
//      and nothing else does; each nursery's NurseryError lists its own real errors in order;
//   I3 no cancellation is listed as an error; a task's state matches what it did;
//   I4 reverse order: children get their turn newest-first, each only after every younger sibling
//      settled or its childGrace passed, and at exactly that moment; the body last. Concurrent: all
//      at the trigger's instant;
//   I5 the first trigger wins, at its time, and every turn in a nursery sees that same reason; a
//      nested nursery cancelled from outside sees its parent's CancelledError by identity;
//   I6 the outcome: NurseryError if any real error, else the outside CancelledError when the
//      outside cancelled it while it was open (whichever trigger came first: the outermost scope
//      catches), else TimeoutError / the body's value by the winning trigger; start() gets what a
//      task did before started();
//   I7 no unhandled rejection (spied on the real process); listener counts on every outside signal
//      back to baseline.
import { describe, it, expect, afterAll } from "@jest/globals";
import fc from "fast-check";
import { getEventListeners } from "node:events";
import {
  nursery,
  openNursery,
  onCancel,
  cancelReasonOf,
  CancelledError,
  NurseryError,
  StartError,
  TimeoutError,
  isCancellation,
  type Clock,
  type Nursery,
  type NurseryOptions,
  type StartContext,
  type Task,
  type TaskContext,
} from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { collectUnhandledRejections } from "./support.js";

// ------------------------------------------------------------------------------------------------
// Scenario shapes
// ------------------------------------------------------------------------------------------------

type Natural = "ok" | "fail" | "foreignAbort";
type Reaction = "prompt" | "slow" | "ignore" | "swallow" | "cleanupFails" | "abortLike";

export interface LeafSpec {
  kind: "leaf";
  /** How the task hears its turn: an abort listener on `task.signal`, or `onCancel(task, ...)`. */
  observe: "signal" | "hook";
  /** A plain function that settles synchronously inside spawn(). */
  sync: boolean;
  /** Awaits the next younger spawned sibling and rethrows its rejection (or returns). */
  join: boolean;
  /** Virtual ms of work before the natural outcome. */
  work: number;
  natural: Natural;
  /** What the task does when its turn comes before its work is done. */
  reaction: Reaction;
  cleanup: number;
  /** spawn(), start() with started() at once, or start() never calling started(). */
  start: "spawn" | "startedAtBegin" | "neverStarted";
}

export interface NestSpec {
  kind: "nest";
  /** `nursery(body)` or `openNursery()` + `[Symbol.asyncDispose]()`. */
  form: "nursery" | "open";
  order: "reverse" | "concurrent";
  grace: number;
  timeout: number | undefined;
  cancelAt: number | undefined;
  body: { action: "return" | "sleepReturn" | "throw" | "awaitAll"; delay: number };
  children: NodeSpec[];
  /** Spawned by the body after `lateAt` ms (the body ignores cancellation meanwhile). */
  late: NodeSpec[];
  lateAt: number;
}

export type NodeSpec = LeafSpec | NestSpec;

export interface Scenario {
  root: NestSpec;
  /** When the root's outside AbortSignal aborts, if ever. */
  outsideAt: number | undefined;
}

const MAX_DEPTH = 5;
const MAX_TASKS = 200;
const CANCEL_DETAIL = "explicit-stop";
const OUTSIDE_REASON = "outside-stop";

// ------------------------------------------------------------------------------------------------
// Generators
// ------------------------------------------------------------------------------------------------

const ms = (max: number): fc.Arbitrary<number> => fc.integer({ min: 0, max });
const weighted = (p: number): fc.Arbitrary<boolean> =>
  fc.oneof({ weight: p, arbitrary: fc.constant(true) }, { weight: 100 - p, arbitrary: fc.constant(false) });
const sometimes = (arb: fc.Arbitrary<number>, freq: number): fc.Arbitrary<number | undefined> =>
  fc.option(arb, { nil: undefined, freq });

const leafArb: fc.Arbitrary<LeafSpec> = fc.record({
  kind: fc.constant("leaf" as const),
  observe: fc.constantFrom("signal" as const, "hook" as const),
  sync: weighted(12),
  join: weighted(20),
  work: ms(40),
  natural: fc.constantFrom<Natural>("ok", "ok", "ok", "fail", "foreignAbort"),
  reaction: fc.constantFrom<Reaction>("prompt", "slow", "ignore", "swallow", "cleanupFails", "abortLike"),
  cleanup: ms(30),
  start: fc.constantFrom("spawn" as const, "spawn" as const, "spawn" as const, "startedAtBegin" as const, "neverStarted" as const),
});

const graceArb = fc.oneof(fc.constant(Infinity), fc.constant(Infinity), fc.constant(0), fc.integer({ min: 1, max: 25 }));

function nestArb(children: fc.Arbitrary<NodeSpec[]>, late: fc.Arbitrary<NodeSpec[]>): fc.Arbitrary<NestSpec> {
  return fc.record({
    kind: fc.constant("nest" as const),
    form: fc.constantFrom("nursery" as const, "nursery" as const, "nursery" as const, "open" as const),
    order: fc.constantFrom("reverse" as const, "reverse" as const, "concurrent" as const),
    grace: graceArb,
    timeout: sometimes(ms(60), 6),
    cancelAt: sometimes(ms(60), 6),
    body: fc.record({
      action: fc.constantFrom("return" as const, "sleepReturn" as const, "throw" as const, "awaitAll" as const),
      delay: ms(40),
    }),
    children,
    late,
    lateAt: ms(30),
  });
}

const { node } = fc.letrec<{ node: NodeSpec; nest: NestSpec }>((tie) => ({
  node: fc.oneof({ maxDepth: MAX_DEPTH - 1, depthSize: "small", withCrossShrink: true }, leafArb, tie("nest")),
  nest: nestArb(fc.array(tie("node"), { maxLength: 6 }), fc.array(tie("node"), { maxLength: 2 })),
}));

/** Prunes a tree to MAX_DEPTH levels of nurseries and MAX_TASKS tasks (breadth first). */
export function limit(root: NestSpec): NestSpec {
  let budget = MAX_TASKS;
  const queue: { spec: NestSpec; depth: number; out: NestSpec }[] = [];
  const copy = (spec: NestSpec, depth: number): NestSpec => {
    const out: NestSpec = { ...spec, children: [], late: [] };
    queue.push({ spec, depth, out });
    return out;
  };
  const top = copy(root, 1);
  while (queue.length > 0) {
    const { spec, depth, out } = queue.shift() as (typeof queue)[number];
    for (const [from, to] of [
      [spec.children, out.children],
      [spec.late, out.late],
    ] as const) {
      for (const child of from) {
        if (budget === 0) break;
        budget--;
        if (child.kind === "leaf") to.push(child);
        else if (depth + 1 > MAX_DEPTH) to.push(leafFromNest(child));
        else to.push(copy(child, depth + 1));
      }
    }
  }
  return top;
}

function leafFromNest(nest: NestSpec): LeafSpec {
  return { kind: "leaf", observe: "signal", sync: false, join: false, work: nest.lateAt, natural: "ok", reaction: "prompt", cleanup: 0, start: "spawn" };
}

const rootArb: fc.Arbitrary<NestSpec> = fc.oneof(
  { weight: 6, arbitrary: nestArb(fc.array(node, { maxLength: 8 }), fc.array(node, { maxLength: 3 })) },
  // Wide: one nursery with up to 200 children, mostly leaves.
  { weight: 1, arbitrary: nestArb(fc.array(leafArb, { minLength: 40, maxLength: MAX_TASKS, size: "max" }), fc.constant([])) },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  root: rootArb.map((root) => limit({ ...root, form: "nursery" })),
  outsideAt: sometimes(ms(60), 3),
});

// ------------------------------------------------------------------------------------------------
// Recording
// ------------------------------------------------------------------------------------------------

type Ev = { seq: number; time: number };
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
/** What the nursery must make of a settlement: a value, a real error, a cancellation, or a real error already reported by the task it came from. */
type Verdict = "ok" | "real" | "cancel" | "dup";
type Settle = Ev & { outcome: Outcome; verdict: Verdict };
type Turn = Ev & { reason: unknown; pre: boolean };

interface TaskRec {
  id: number;
  /** 1-based spawn order in its nursery (the body is 0: older than every child). */
  index: number;
  spec: NodeSpec;
  parent: NurseryRec;
  spawn?: Ev;
  turn?: Turn;
  settle?: Settle;
  handle?: Task<unknown>;
  started?: Outcome;
  child?: NurseryRec;
  signal?: AbortSignal;
  ctx?: TaskContext;
}

interface NurseryRec {
  path: string;
  spec: NestSpec;
  /** The task that runs this nursery (undefined for the root). */
  host: TaskRec | undefined;
  n?: Nursery;
  created?: Ev;
  timers: Set<object>;
  children: TaskRec[];
  body: { turn?: Turn; settle?: Settle };
  cancelEv?: Ev;
  outsideEv?: Ev;
  settled?: Ev & { outcome: Outcome; cancelRequested: boolean };
}

/** Coverage counters over all runs: proof that the interesting cases were generated. */
export const coverage = {
  runs: 0,
  tasks: 0,
  maxTasks: 0,
  maxDepth: 0,
  won: { explicit: 0, parent: 0, deadline: 0, "sibling-failed": 0, none: 0 } as Record<string, number>,
  realErrors: 0,
  graceExpired: 0,
  preCancelled: 0,
  cancelledBeforeTurn: 0,
  dups: 0,
  startRejected: 0,
  concurrent: 0,
  promptness: 0,
  lateTurns: 0,
};

class Recorder {
  readonly clock = new VirtualClock();
  readonly violations: string[] = [];
  seq = 0;
  ids = 0;

  ev(): Ev {
    return { seq: ++this.seq, time: this.clock.now() };
  }

  fail(where: string, what: string): void {
    this.violations.push(`${where}: ${what}`);
  }

  /** Waits `ms` virtual ms, or until `watch` reports the turn (the timer is then cleared). */
  wait(ms: number, watch?: Watch): Promise<"done" | "turn"> {
    if (watch?.came === true) return Promise.resolve("turn");
    return new Promise((resolve) => {
      let off = (): void => {};
      const timer = this.clock.setTimer(ms, () => {
        off();
        resolve("done");
      });
      if (watch !== undefined) {
        const onTurn = (): void => {
          this.clock.clearTimer(timer);
          resolve("turn");
        };
        watch.waiters.add(onTurn);
        off = () => watch.waiters.delete(onTurn);
      }
    });
  }
}

class Watch {
  came = false;
  reason: unknown = undefined;
  readonly waiters = new Set<() => void>();
  dispose: () => void = () => {};
}

/** A clock that forwards to `base` and tracks the timers set through it and still pending. */
function trackingClock(base: VirtualClock, live: Set<object>): Clock {
  return {
    now: () => base.now(),
    setTimer(ms, callback) {
      const handle: object = base.setTimer(ms, () => {
        live.delete(handle);
        callback();
      });
      if (ms !== Infinity) live.add(handle);
      return handle;
    },
    clearTimer(handle) {
      live.delete(handle);
      base.clearTimer(handle);
    },
  };
}

const listeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

function where(rec: TaskRec): string {
  return `${rec.parent.path}/t${rec.id}`;
}

/** Records the turn of a task; `pre` when it came already cancelled. */
function observeTask(r: Recorder, task: TaskContext, how: "signal" | "hook", rec: TaskRec): Watch {
  const w = new Watch();
  rec.ctx = task;
  let starting = true;
  const mark = (reason: unknown): void => {
    if (w.came) r.fail(where(rec), "turn came twice");
    if (!(reason instanceof CancelledError)) r.fail(where(rec), `turn reason is not a CancelledError: ${String(reason)}`);
    w.came = true;
    w.reason = reason;
    rec.turn = { ...r.ev(), reason, pre: starting };
    for (const waiter of [...w.waiters]) waiter();
  };
  if (how === "signal") {
    const signal = task.signal;
    rec.signal = signal;
    if (signal.aborted) mark(signal.reason);
    else {
      const listener = (): void => mark(signal.reason);
      signal.addEventListener("abort", listener);
      w.dispose = () => signal.removeEventListener("abort", listener);
    }
  } else {
    w.dispose = onCancel(task, mark);
  }
  starting = false;
  return w;
}

function settleTask(r: Recorder, rec: TaskRec, w: Watch, outcome: Outcome, verdict: Verdict): void {
  w.dispose();
  rec.settle = { ...r.ev(), outcome, verdict };
  // The task's own listener is gone; whatever else listened (a nested nursery) must be gone too.
  if (rec.signal !== undefined && listeners(rec.signal) !== 0) {
    r.fail(where(rec), `${listeners(rec.signal)} abort listener(s) left on the task's signal after it settled`);
  }
}

// ------------------------------------------------------------------------------------------------
// Running a scenario
// ------------------------------------------------------------------------------------------------

function leafTask(r: Recorder, spec: LeafSpec, rec: TaskRec): (task: StartContext<unknown>) => unknown {
  const value = `v${rec.id}`;
  return (task) => {
    rec.spawn = r.ev();
    const w = observeTask(r, task, spec.observe, rec);
    if (spec.start === "startedAtBegin") task.started(`s${rec.id}`);
    let verdict: Verdict = "ok";
    const fail = (error: unknown, v: Verdict): never => {
      verdict = v;
      throw error;
    };
    const natural = (): unknown => {
      if (spec.natural === "ok") return value;
      if (spec.natural === "fail") return fail(new Error(`t${rec.id} failed`), "real");
      // Looks like a cancellation: one only if this task's own turn had come.
      return fail(new DOMException(`t${rec.id} foreign abort`, "AbortError"), w.came ? "cancel" : "real");
    };
    const react = async (): Promise<unknown> => {
      switch (spec.reaction) {
        case "prompt":
          return fail(w.reason, "cancel");
        case "abortLike":
          return fail(new DOMException(`t${rec.id} aborted`, "AbortError"), "cancel");
        case "slow":
          await r.wait(spec.cleanup);
          return fail(w.reason, "cancel");
        case "swallow":
          await r.wait(spec.cleanup);
          return value;
        case "cleanupFails":
          await r.wait(spec.cleanup);
          return fail(new Error(`t${rec.id} cleanup failed`), "real");
        case "ignore":
          await r.wait(Math.max(0, spec.work - (r.clock.now() - (rec.spawn as Ev).time)));
          return natural();
      }
    };

    if (spec.sync) {
      let result: unknown;
      try {
        if (w.came && spec.reaction === "prompt") fail(w.reason, "cancel");
        if (w.came && spec.reaction === "abortLike") fail(new DOMException(`t${rec.id} aborted`, "AbortError"), "cancel");
        result = natural();
      } catch (error) {
        settleTask(r, rec, w, { ok: false, error }, verdict);
        throw error;
      }
      settleTask(r, rec, w, { ok: true, value: result }, "ok");
      return result;
    }

    const run = async (): Promise<unknown> => {
      if (spec.join) {
        await null; // the body's spawn loop has finished: younger siblings exist
        const younger = rec.parent.children.find((c) => c.index > rec.index && c.handle !== undefined);
        if (younger !== undefined) {
          try {
            await younger.handle;
            return value;
          } catch (error) {
            // The sibling's own error: already reported by that sibling, so "dup" (must be listed once).
            return fail(error, error instanceof CancelledError || (w.came && isCancellation(error)) ? "cancel" : "dup");
          }
        }
      }
      if ((await r.wait(spec.work, w)) === "done") return natural();
      return react();
    };
    return run().then(
      (result) => {
        settleTask(r, rec, w, { ok: true, value: result }, "ok");
        return result;
      },
      (error: unknown) => {
        settleTask(r, rec, w, { ok: false, error }, verdict);
        throw error;
      },
    );
  };
}

function nestTask(r: Recorder, spec: NestSpec, rec: TaskRec): (task: TaskContext) => Promise<unknown> {
  return async (task) => {
    rec.spawn = r.ev();
    const w = observeTask(r, task, "signal", rec);
    const child: NurseryRec = { path: `${where(rec)}`, spec, host: rec, timers: new Set(), children: [], body: {} };
    rec.child = child;
    try {
      const value = await runNursery(r, spec, task.signal, child);
      settleTask(r, rec, w, { ok: true, value }, "ok");
      return value;
    } catch (error) {
      let verdict: Verdict = "real";
      if (error instanceof CancelledError) {
        verdict = "cancel";
        if (error !== w.reason) r.fail(where(rec), "nested nursery rejected with a CancelledError that is not its parent's reason");
      } else if (!(error instanceof NurseryError) && !(error instanceof TimeoutError)) {
        r.fail(where(rec), `nested nursery rejected with ${String(error)}`);
      }
      settleTask(r, rec, w, { ok: false, error }, verdict);
      throw error;
    }
  };
}

function spawnChild(r: Recorder, n: Nursery, spec: NodeSpec, parent: NurseryRec): void {
  const rec: TaskRec = { id: ++r.ids, index: parent.children.length + 1, spec, parent };
  parent.children.push(rec);
  const name = `t${rec.id}`;
  if (spec.kind === "leaf" && spec.start !== "spawn") {
    n.start(leafTask(r, spec, rec), { name }).then(
      (value) => (rec.started = { ok: true, value }),
      (error: unknown) => (rec.started = { ok: false, error }),
    );
  } else {
    const fn = spec.kind === "leaf" ? (leafTask(r, spec, rec) as (task: TaskContext) => unknown) : nestTask(r, spec, rec);
    rec.handle = n.spawn(fn, { name });
  }
}

function observeBody(r: Recorder, n: Nursery, rec: NurseryRec): Watch {
  const w = new Watch();
  const mark = (): void => {
    w.came = true;
    w.reason = n.signal.reason;
    rec.body.turn = { ...r.ev(), reason: w.reason, pre: false };
    for (const waiter of [...w.waiters]) waiter();
  };
  if (n.signal.aborted) mark();
  else n.signal.addEventListener("abort", mark, { once: true });
  return w;
}

function body(r: Recorder, spec: NestSpec, rec: NurseryRec): (n: Nursery) => unknown {
  const value = `${rec.path}:body`;
  return (n) => {
    rec.n = n;
    const w = observeBody(r, n, rec);
    for (const child of spec.children) spawnChild(r, n, child, rec);
    const { action, delay } = spec.body;
    const settle = (outcome: Outcome, verdict: Verdict): void => {
      rec.body.settle = { ...r.ev(), outcome, verdict };
    };
    if (spec.late.length === 0 && (action === "return" || (action === "throw" && delay === 0))) {
      // Synchronous bodies: the nursery's non-promise path.
      if (action === "return") {
        settle({ ok: true, value }, "ok");
        return value;
      }
      const error = new Error(`${rec.path} body threw`);
      settle({ ok: false, error }, "real");
      throw error;
    }
    let verdict: Verdict = "ok";
    const run = async (): Promise<unknown> => {
      if (spec.late.length > 0) {
        await r.wait(spec.lateAt);
        for (const child of spec.late) spawnChild(r, n, child, rec);
      }
      if (action === "return") return value;
      if (action === "awaitAll") {
        try {
          await Promise.all(rec.children.flatMap((c) => (c.handle === undefined ? [] : [c.handle])));
        } catch (error) {
          verdict = error instanceof CancelledError || (w.came && isCancellation(error)) ? "cancel" : "dup";
          if (verdict === "dup" && !rec.children.some((c) => c.settle?.outcome.ok === false && c.settle.outcome.error === error)) {
            r.fail(rec.path, `awaiting the children rejected with an error no child threw: ${String(error)}`);
          }
          throw error;
        }
        return value;
      }
      if ((await r.wait(delay, w)) === "turn") {
        verdict = "cancel";
        throw w.reason;
      }
      if (action === "sleepReturn") return value;
      verdict = "real";
      throw new Error(`${rec.path} body threw`);
    };
    return run().then(
      (result) => {
        settle({ ok: true, value: result }, "ok");
        return result;
      },
      (error: unknown) => {
        settle({ ok: false, error }, verdict);
        throw error;
      },
    );
  };
}

function runNursery(r: Recorder, spec: NestSpec, signal: AbortSignal, rec: NurseryRec): Promise<unknown> {
  const options: NurseryOptions = {
    name: rec.path,
    signal,
    cancelOrder: spec.order,
    childGrace: spec.grace,
    clock: trackingClock(r.clock, rec.timers),
  };
  if (spec.timeout !== undefined) options.timeout = spec.timeout;
  if (spec.cancelAt !== undefined) {
    r.clock.setTimer(spec.cancelAt, () => {
      rec.cancelEv = r.ev();
      rec.n?.cancel(CANCEL_DETAIL);
    });
  }
  rec.created = r.ev();
  let done: Promise<unknown>;
  if (spec.form === "nursery") {
    done = nursery(body(r, spec, rec), options);
  } else {
    const n = openNursery(options);
    rec.n = n;
    observeBody(r, n, rec);
    for (const child of spec.children) spawnChild(r, n, child, rec);
    done = (async () => {
      if (spec.late.length > 0) {
        await r.wait(spec.lateAt);
        for (const child of spec.late) spawnChild(r, n, child, rec);
      }
      rec.body.settle = { ...r.ev(), outcome: { ok: true, value: undefined }, verdict: "ok" };
      await n[Symbol.asyncDispose]();
    })();
  }
  const settled = (outcome: Outcome): void => {
    const n = rec.n as Nursery;
    rec.settled = { ...r.ev(), outcome, cancelRequested: n.cancelRequested };
    if (n.children.length !== 0) r.fail(rec.path, `settled with ${n.children.length} live children`);
    for (const c of rec.children) {
      if (c.handle?.state === "running") r.fail(where(c), "Task.state is still running after its nursery settled");
    }
    if (rec.timers.size !== 0) r.fail(rec.path, `settled with ${rec.timers.size} library timer(s) still pending`);
  };
  return done.then(
    (value) => {
      settled({ ok: true, value });
      return value;
    },
    (error: unknown) => {
      settled({ ok: false, error });
      throw error;
    },
  );
}

export interface Report {
  root: NurseryRec;
  violations: string[];
  outcome: Outcome | undefined;
  unhandled: unknown[];
}

export async function runScenario(scenario: Scenario): Promise<Report> {
  const r = new Recorder();
  const outside = new AbortController();
  // Someone else's listener: the baseline the count must return to is 1, not 0.
  const foreign = (): void => {};
  outside.signal.addEventListener("abort", foreign);
  const root: NurseryRec = { path: "root", spec: scenario.root, host: undefined, timers: new Set(), children: [], body: {} };
  let outcome: Outcome | undefined;
  const unhandled = await collectUnhandledRejections(async () => {
    if (scenario.outsideAt !== undefined) {
      r.clock.setTimer(scenario.outsideAt, () => {
        root.outsideEv = r.ev();
        outside.abort(OUTSIDE_REASON);
      });
    }
    runNursery(r, scenario.root, outside.signal, root).then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    await r.clock.runAll();
  });
  for (const u of unhandled) r.fail("process", `unhandled rejection: ${String(u)}`);
  if (outcome === undefined) r.fail("root", "never settled (hang)");
  if (listeners(outside.signal) !== 1) r.fail("root", `${listeners(outside.signal) - 1} listener(s) left on the outside signal`);
  outside.signal.removeEventListener("abort", foreign);
  resolveLateTurns(root);
  checkNursery(r, root);
  if (outcome !== undefined) checkRootOutcome(r, root, outcome);
  count(root);
  return { root, violations: r.violations, outcome, unhandled };
}

// ------------------------------------------------------------------------------------------------
// Checking
// ------------------------------------------------------------------------------------------------

/**
 * A task that throws an AbortError-like error before its turn may still have its turn before the
 * nursery processes the rejection (a few microtasks later, after this log stopped listening): its
 * own signal was then aborted and the rejection is a cancellation (design 4a). `cancelReasonOf`
 * tells after the fact, since a task cannot be cancelled once its settlement was processed.
 */
function resolveLateTurns(rec: NurseryRec): void {
  for (const c of rec.children) {
    const s = c.settle;
    if (s !== undefined && !s.outcome.ok && (s.verdict === "real" || s.verdict === "dup") && c.ctx !== undefined) {
      const error = s.outcome.error;
      if (isCancellation(error) && !(error instanceof CancelledError) && cancelReasonOf(c.ctx) !== undefined) {
        if (c.signal !== undefined && !c.signal.aborted) continue; // then it was not cancelled: leave it "real"
        s.verdict = "cancel";
        coverage.lateTurns++;
      }
    }
    if (c.child !== undefined) resolveLateTurns(c.child);
  }
}

/** Real errors the nursery must report: settlements judged "real", except those that go to start(). */
function reportable(c: TaskRec): boolean {
  return c.spec.kind === "nest" || c.spec.start !== "neverStarted";
}

function flatten(error: unknown): unknown[] {
  return error instanceof NurseryError ? error.errors.flatMap(flatten) : [error];
}

/** Every leaf error that must reach the root: real, not a NurseryError, not delivered to start(). */
function expectedLeaves(rec: NurseryRec, out: unknown[] = []): unknown[] {
  const b = rec.body.settle;
  if (b?.verdict === "real" && !b.outcome.ok) out.push(b.outcome.error);
  for (const c of rec.children) {
    const s = c.settle;
    if (s?.verdict === "real" && !s.outcome.ok && reportable(c) && !(s.outcome.error instanceof NurseryError)) out.push(s.outcome.error);
    if (c.child !== undefined) expectedLeaves(c.child, out);
  }
  return out;
}

function checkRootOutcome(r: Recorder, root: NurseryRec, outcome: Outcome): void {
  const expected = expectedLeaves(root);
  if (expected.length === 0) {
    if (!outcome.ok && outcome.error instanceof NurseryError) r.fail("root", "rejected with a NurseryError though no real error happened");
    return;
  }
  if (outcome.ok || !(outcome.error instanceof NurseryError)) {
    r.fail("root", `${expected.length} real error(s) happened but the root ${outcome.ok ? "resolved" : `rejected with ${String(outcome.error)}`}`);
    return;
  }
  const got = flatten(outcome.error);
  for (const e of expected) {
    const times = got.filter((g) => g === e).length;
    if (times !== 1) r.fail("root", `real error "${String(e)}" appears ${times} times in the outcome`);
  }
  for (const g of got) {
    if (!expected.includes(g)) r.fail("root", `the outcome lists "${String(g)}", which is not a real error of any task`);
  }
  // A foreign AbortError thrown before the task's own turn is a real error (design 4a) and may be
  // listed; the expected-set check above covers it. Our own cancellations never may.
  const walk = (e: unknown): void => {
    if (!(e instanceof NurseryError)) return;
    for (const inner of e.errors) {
      if (inner instanceof CancelledError) r.fail("root", `a cancellation is listed as an error: ${String(inner)}`);
      walk(inner);
    }
  };
  walk(outcome.error);
}

interface Candidate {
  kind: "explicit" | "parent" | "deadline" | "sibling-failed";
  time: number;
  seq: number | undefined;
  matches(reason: CancelledError): boolean;
}

function candidates(rec: NurseryRec): Candidate[] {
  const out: Candidate[] = [];
  const spec = rec.spec;
  // A reason this nursery created names it; a parent's reason passed down names the parent.
  const own = (x: CancelledError): boolean => x.reason.nursery === rec.path;
  if (rec.cancelEv !== undefined) {
    out.push({ kind: "explicit", ...rec.cancelEv, matches: (x) => own(x) && x.reason.source === "explicit" && x.reason.detail === CANCEL_DETAIL });
  }
  if (rec.host === undefined && rec.outsideEv !== undefined) {
    out.push({ kind: "parent", ...rec.outsideEv, matches: (x) => own(x) && x.reason.source === "parent" && x.reason.detail === OUTSIDE_REASON });
  }
  const hostTurn = rec.host?.turn;
  if (hostTurn !== undefined) out.push({ kind: "parent", ...hostTurn, matches: (x) => x === hostTurn.reason });
  if (spec.timeout !== undefined && rec.created !== undefined) {
    const timeout = spec.timeout;
    out.push({ kind: "deadline", time: rec.created.time + timeout, seq: undefined, matches: (x) => own(x) && x.reason.source === "deadline" && x.reason.detail === timeout });
  }
  const failures: Settle[] = rec.children.filter((c) => reportable(c) && c.settle?.verdict === "real").map((c) => c.settle as Settle);
  if (rec.body.settle?.verdict === "real") failures.push(rec.body.settle);
  for (const f of failures) {
    const error = f.outcome.ok ? undefined : f.outcome.error;
    out.push({ kind: "sibling-failed", time: f.time, seq: f.seq, matches: (x) => own(x) && x.reason.source === "sibling-failed" && x.reason.detail === error });
  }
  return out;
}

function checkNursery(r: Recorder, rec: NurseryRec): void {
  const fail = (what: string): void => r.fail(rec.path, what);
  const settled = rec.settled;
  if (settled === undefined) {
    fail("never settled");
    return;
  }
  // I1: everything settled first.
  for (const c of rec.children) {
    if (c.settle === undefined) fail(`t${c.id} never settled`);
    else if (c.settle.seq > settled.seq) fail(`t${c.id} settled after its nursery`);
  }
  if (rec.body.settle === undefined || rec.body.settle.seq > settled.seq) fail("the body settled after its nursery");

  // I5: one reason per nursery; the winning trigger at its time.
  const turned = rec.children.filter((c) => c.turn !== undefined);
  const turns: Turn[] = turned.map((c) => c.turn as Turn);
  if (rec.body.turn !== undefined) turns.push(rec.body.turn);
  turns.sort((a, b) => a.seq - b.seq);
  const first = turns[0];
  const reason = first?.reason;
  if (turns.some((t) => t.reason !== reason)) fail("tasks of one nursery saw different cancellation reasons");
  const cands = candidates(rec);
  // The nursery closes while processing its last settlement, which is after that settlement's log
  // entry and before `settled`'s: a trigger before the last settlement came while it was open; one
  // between the two may have come just before or just after it closed. A failure always counts.
  const settles = rec.children.flatMap((c) => (c.settle === undefined ? [] : [c.settle]));
  if (rec.body.settle !== undefined) settles.push(rec.body.settle);
  const last = settles.reduce<Ev>((a, b) => (b.seq > a.seq ? b : a), { seq: 0, time: 0 });
  const definite = cands.filter((c) => c.kind === "sibling-failed" || (c.seq !== undefined ? c.seq < last.seq : c.time < last.time));
  const maybe = cands.filter((c) => !definite.includes(c) && (c.seq !== undefined ? c.seq < settled.seq : c.time <= settled.time));
  let winner: Candidate["kind"] | undefined;
  if (definite.length > 0) {
    const t0 = Math.min(...definite.map((c) => c.time));
    if (first === undefined) fail(`a trigger (${definite.map((c) => c.kind).join(", ")}) came at ${t0} before the nursery closed, but no task had its turn`);
    else {
      if (first.time !== t0) fail(`the first turn came at ${first.time}, the first trigger at ${t0}`);
      const match = cands.find((c) => c.time === first.time && reason instanceof CancelledError && c.matches(reason));
      if (match === undefined) fail(`the cancellation reason (${String(reason)}) matches no trigger at ${first.time}`);
      winner = match?.kind;
    }
  } else if (first !== undefined) {
    const match = maybe.find((c) => c.time === first.time && reason instanceof CancelledError && c.matches(reason));
    if (match === undefined) fail(`tasks had their turn (${String(reason)}) though no trigger came before the nursery closed`);
    winner = match?.kind;
  }
  if (settled.cancelRequested !== (first !== undefined)) fail(`cancelRequested is ${settled.cancelRequested} at settlement`);
  coverage.won[winner ?? "none"] = (coverage.won[winner ?? "none"] ?? 0) + 1;

  // I4: the order of turns.
  if (first !== undefined) {
    if (rec.spec.order === "reverse") checkReverse(rec, fail);
    else checkConcurrent(rec, first, fail);
  }

  // I6 + I3: the nursery's outcome and each task's state. An outer cancellation that came while
  // the nursery was open wins over an earlier cancel() or deadline: the outermost scope catches.
  const outerWhileOpen = winner === "parent" ? undefined : definite.find((c) => c.kind === "parent");
  const outerAsItClosed = winner === "parent" ? [] : maybe.filter((c) => c.kind === "parent");
  const direct: Settle[] = rec.children.filter((c) => reportable(c) && c.settle?.verdict === "real").map((c) => c.settle as Settle);
  if (rec.body.settle?.verdict === "real") direct.push(rec.body.settle);
  direct.sort((a, b) => a.seq - b.seq);
  const errors = direct.map((s) => (s.outcome.ok ? undefined : s.outcome.error));
  const outcome = settled.outcome;
  if (errors.length > 0) {
    if (outcome.ok || !(outcome.error instanceof NurseryError)) fail(`real errors happened but it ${outcome.ok ? "resolved" : `rejected with ${String(outcome.error)}`}`);
    else {
      const listed = outcome.error.errors;
      if (listed.length !== errors.length || listed.some((e, i) => e !== errors[i])) {
        fail(`NurseryError lists [${listed.map(String).join(" | ")}], expected [${errors.map(String).join(" | ")}]`);
      }
    }
  } else if (winner === "parent") {
    if (outcome.ok || outcome.error !== reason) fail("a nursery cancelled from outside must reject with that CancelledError");
  } else if (outerWhileOpen !== undefined) {
    const error = outcome.ok ? undefined : outcome.error;
    if (!(error instanceof CancelledError) || !outerWhileOpen.matches(error)) {
      fail(`an outer cancellation came while it was open, after ${winner ?? "no trigger"}: it must reject with the outer CancelledError, got ${outcome.ok ? "a value" : String(error)}`);
    }
  } else if (!outcome.ok && outerAsItClosed.some((c) => outcome.error instanceof CancelledError && c.matches(outcome.error))) {
    // An outer cancellation that came as the nursery closed may or may not have been seen.
  } else if (winner === "deadline") {
    if (outcome.ok || !(outcome.error instanceof TimeoutError) || outcome.error.timeout !== rec.spec.timeout) fail("a nursery whose timeout won must reject with its TimeoutError");
  } else {
    const b = rec.body.settle;
    const value = rec.spec.form === "open" || b === undefined || !b.outcome.ok ? undefined : b.outcome.value;
    if (!outcome.ok) fail(`expected it to resolve (${winner ?? "no trigger"}), it rejected with ${String(outcome.error)}`);
    else if (outcome.value !== value) fail(`resolved with ${String(outcome.value)}, expected ${String(value)}`);
  }
  for (const c of rec.children) {
    const s = c.settle;
    if (s === undefined) continue;
    const state = s.verdict === "ok" ? "fulfilled" : s.verdict === "cancel" ? "cancelled" : "rejected";
    if (c.handle !== undefined && c.handle.state !== state) fail(`t${c.id} is ${c.handle.state}, expected ${state} (${s.verdict})`);
    if (c.spec.kind === "leaf" && c.spec.start === "startedAtBegin") {
      if (c.started?.ok !== true || c.started.value !== `s${c.id}`) fail(`start() of t${c.id} did not resolve with the started() value`);
    }
    if (c.spec.kind === "leaf" && c.spec.start === "neverStarted") {
      const got = c.started;
      if (got === undefined || got.ok) fail(`start() of t${c.id}, which never called started(), did not reject`);
      else if (s.outcome.ok ? !(got.error instanceof StartError && got.error.code === "ERR_NOT_STARTED") : got.error !== s.outcome.error) {
        fail(`start() of t${c.id} rejected with ${String(got.error)}, not with what the task did before started()`);
      } else coverage.startRejected++;
    }
    if (c.child !== undefined) checkNursery(r, c.child);
  }
}

/** I4 for "reverse": newest first, each after the younger ones settled or had their grace, and promptly. */
function checkReverse(rec: NurseryRec, fail: (what: string) => void): void {
  const grace = rec.spec.grace;
  const kids = rec.children;
  const entities: { index: number; turn: Turn; label: string }[] = kids
    .filter((c) => c.turn !== undefined && !c.turn.pre)
    .map((c) => ({ index: c.index, turn: c.turn as Turn, label: `t${c.id}` }));
  if (rec.body.turn !== undefined) entities.push({ index: 0, turn: rec.body.turn, label: "the body" });
  entities.sort((a, b) => a.turn.seq - b.turn.seq);
  for (let k = 1; k < entities.length; k++) {
    const a = entities[k - 1] as (typeof entities)[number];
    const b = entities[k] as (typeof entities)[number];
    if (b.index > a.index) fail(`${b.label} (spawned later) had its turn after ${a.label}: not newest-first`);
  }
  for (const x of entities) {
    for (const j of kids) {
      if (j.index <= x.index || j.spawn === undefined || j.spawn.seq > x.turn.seq) continue;
      if (j.settle !== undefined && j.settle.seq < x.turn.seq) continue;
      const since = j.turn === undefined ? undefined : j.turn.pre ? j.spawn.time : j.turn.seq < x.turn.seq ? j.turn.time : undefined;
      if (since !== undefined && grace !== Infinity && x.turn.time - since >= grace) {
        coverage.graceExpired++;
        continue;
      }
      fail(`${x.label} had its turn at ${x.turn.time} while younger t${j.id} was running and within its grace`);
    }
  }
  // Promptness: each turn comes exactly when the previous one was released. Children spawned after
  // the trigger join the queue at an instant this log cannot see, so only the order is checked then.
  if (kids.some((c) => c.turn?.pre === true)) return;
  if (entities.length > 1) coverage.promptness++;
  for (let k = 1; k < entities.length; k++) {
    const prev = entities[k - 1] as (typeof entities)[number];
    const next = entities[k] as (typeof entities)[number];
    const prevRec = kids.find((c) => c.index === prev.index);
    if (prevRec === undefined) continue; // the body came before a child: reported above
    const released = Math.min(prevRec.settle?.time ?? Infinity, prev.turn.time + grace);
    if (next.turn.time !== released) {
      fail(`${next.label} had its turn at ${next.turn.time}; ${prev.label} was released at ${released} (turn ${prev.turn.time}, grace ${grace})`);
    }
  }
}

/** I4 for "concurrent": every live child and the body at the trigger's instant. */
function checkConcurrent(rec: NurseryRec, first: Turn, fail: (what: string) => void): void {
  coverage.concurrent++;
  for (const c of rec.children) {
    const t = c.turn;
    if (t !== undefined && !t.pre && t.time !== first.time) fail(`t${c.id} had its turn at ${t.time}, not with the others at ${first.time}`);
    const live = c.spawn !== undefined && c.spawn.seq < first.seq && c.settle !== undefined && c.settle.time > first.time;
    if (live && t === undefined) fail(`t${c.id} was running at the trigger but never had its turn`);
  }
  if (rec.body.turn !== undefined && rec.body.turn.time !== first.time) fail("the body's turn was not at the trigger's instant");
}

function count(root: NurseryRec): void {
  coverage.runs++;
  let tasks = 0;
  const walk = (rec: NurseryRec, depth: number): void => {
    coverage.maxDepth = Math.max(coverage.maxDepth, depth);
    for (const c of rec.children) {
      tasks++;
      if (c.turn?.pre === true) coverage.preCancelled++;
      if (c.settle?.verdict === "dup") coverage.dups++;
      if (c.settle?.verdict === "real") coverage.realErrors++;
      if (c.settle?.verdict === "cancel" && c.turn === undefined) coverage.cancelledBeforeTurn++;
      if (c.child !== undefined) walk(c.child, depth + 1);
    }
    if (rec.body.settle?.verdict === "dup") coverage.dups++;
  };
  walk(root, 1);
  coverage.tasks += tasks;
  coverage.maxTasks = Math.max(coverage.maxTasks, tasks);
}

// ------------------------------------------------------------------------------------------------
// The properties
// ------------------------------------------------------------------------------------------------

// Sized for a loaded 2-core machine: the whole file stays well under 60 s. Raise locally with
// NURSERY_PROPERTY_RUNS=2000 to search harder; a failure prints the seed and path to replay.
const RUNS = Number(process.env.NURSERY_PROPERTY_RUNS ?? 1000);

async function holds(scenario: Scenario): Promise<void> {
  const report = await runScenario(scenario);
  if (report.violations.length > 0) throw new Error(`invariants broken:\n  ${report.violations.join("\n  ")}`);
}

describe("nursery invariants over random task trees", () => {
  afterAll(() => {
    if (process.env.NURSERY_PROPERTY_DEBUG !== undefined) console.log(JSON.stringify(coverage));
  });

  it(`hold on ${RUNS} random trees (depth <= ${MAX_DEPTH}, <= ${MAX_TASKS} tasks, random triggers, order and grace)`, async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, holds), { numRuns: RUNS });
    if (RUNS < 1000) return; // the coverage bounds below are sized for the default run count
    // The generator really produced the cases the invariants are about (typical counts per 1000
    // runs in parentheses; the bounds are far below them so the check is not flaky).
    expect(coverage.maxDepth).toBe(MAX_DEPTH);
    expect(coverage.maxTasks).toBeGreaterThanOrEqual(150); // (200)
    expect(coverage.won.explicit).toBeGreaterThan(RUNS / 10); // nurseries won by cancel() (~1100)
    expect(coverage.won.parent).toBeGreaterThan(RUNS / 10); // by an outside signal or parent (~10000)
    expect(coverage.won.deadline).toBeGreaterThan(RUNS / 10); // by a timeout (~1100)
    expect(coverage.won["sibling-failed"]).toBeGreaterThan(RUNS / 10); // by a failure (~2300)
    expect(coverage.won.none).toBeGreaterThan(RUNS / 20); // not cancelled at all (~450)
    expect(coverage.graceExpired).toBeGreaterThan(RUNS); // a turn after a younger sibling's grace ran out (~30000)
    expect(coverage.promptness).toBeGreaterThan(RUNS / 5); // nurseries whose turn times were checked exactly (~2300)
    expect(coverage.preCancelled).toBeGreaterThan(RUNS); // tasks spawned into a cancelled nursery (~45000)
    expect(coverage.cancelledBeforeTurn).toBeGreaterThan(RUNS / 100); // rejected with the nursery's reason before their turn (~80)
    expect(coverage.dups).toBeGreaterThan(RUNS / 10); // a sibling's error rethrown (~3000)
    expect(coverage.startRejected).toBeGreaterThan(RUNS); // start() rejected by what the task did before started() (~12000)
    expect(coverage.concurrent).toBeGreaterThan(RUNS / 10); // concurrent-order nurseries cancelled (~4800)
    // A bound against a hang, not a speed check: the trees run on a virtual clock, so this is CPU
    // work only (about 30 s on an idle 2-core machine, past 130 s at a load average of 12).
  }, 600_000);
});

// ------------------------------------------------------------------------------------------------
// Regressions: counterexamples fast-check found, shrunk, kept as literal scenarios
// ------------------------------------------------------------------------------------------------

function leaf(over: Partial<LeafSpec> = {}): LeafSpec {
  return { kind: "leaf", observe: "signal", sync: false, join: false, work: 0, natural: "ok", reaction: "prompt", cleanup: 0, start: "spawn", ...over };
}

function nest(over: Partial<NestSpec> = {}): NestSpec {
  return {
    kind: "nest",
    form: "nursery",
    order: "reverse",
    grace: Infinity,
    timeout: undefined,
    cancelAt: undefined,
    body: { action: "return", delay: 0 },
    children: [],
    late: [],
    lateAt: 0,
    ...over,
  };
}

describe("property regressions", () => {
  // Seed -199927324 (core bug, fixed in nursery.ts #fail): the body awaited a nested task that had
  // failed and rethrew its NurseryError, which the nursery then listed a second time.
  it("regression: a body that rethrows an awaited child's error lists it once", async () => {
    await holds({
      root: nest({ grace: 0, body: { action: "awaitAll", delay: 0 }, children: [nest({ children: [leaf({ natural: "foreignAbort" })] })] }),
      outsideAt: undefined,
    });
    const boom = new Error("boom");
    const err = await nursery(async (n) => {
      const failing = n.spawn(async () => {
        await null;
        throw boom;
      });
      await failing;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NurseryError);
    expect((err as NurseryError).errors).toEqual([boom]);
  });

  it("regression: a task that rethrows a sibling's error does not list it twice; two equal strings stay two errors", async () => {
    const boom = new Error("boom");
    const err = await nursery((n) => {
      const failing = n.spawn(async () => {
        await null;
        throw boom;
      });
      n.spawn(async () => {
        await failing;
      });
      n.spawn(() => Promise.reject("same"));
      n.spawn(() => Promise.reject("same"));
    }).catch((e: unknown) => e);
    expect((err as NurseryError).errors).toEqual(["same", "same", boom]);
  });

  // Seed -1311653424: a nested nursery opened already cancelled (its task spawned after the root's
  // cancel()) and later cancel()ed itself; the parent's reason passed down wins, by identity.
  it("regression: a nested nursery's own cancel() after its parent's reason arrived changes nothing", async () => {
    await holds({ root: nest({ cancelAt: 0, late: [nest({ cancelAt: 0 })] }), outsideAt: undefined });
  });

  // Seed -1803414412: a sync child failed while an older sibling's nested nursery had just closed
  // in the same tick: the late abort of that task's signal must not reach the closed nursery.
  it("regression: a trigger in the tick a nested nursery closed does not cancel it", async () => {
    await holds({
      root: nest({
        children: [nest({ grace: 0, children: [nest({ grace: 1, children: [nest({ grace: 0 }), leaf({ sync: true, natural: "foreignAbort" })] })] })],
      }),
      outsideAt: undefined,
    });
  });

  // Seed 386903804: a task rethrew a younger sibling's foreign AbortError and had its own turn in
  // the microtasks before the nursery processed that rejection: a cancellation, not a second error.
  it("regression: an AbortError rethrown just as the task's own turn came is a cancellation", async () => {
    await holds({
      root: nest({
        late: [
          nest({
            children: [
              nest({
                grace: 1,
                children: [
                  nest({
                    grace: 1,
                    children: [leaf({ join: true }), leaf({ start: "neverStarted" }), leaf({ sync: true, natural: "foreignAbort" })],
                  }),
                ],
              }),
            ],
          }),
        ],
      }),
      outsideAt: undefined,
    });
  });

  it("treats a rejection with the nursery's own reason as cancellation before that child's turn", async () => {
    // The oldest child joins the youngest (the middle one, started with start(), has no Task to
    // join) and rethrows its cancellation while the middle one's slow cleanup holds up the reverse
    // order: the oldest rejects with the nursery's reason before its own signal aborted.
    const report = await runScenario({
      root: nest({
        cancelAt: 1,
        children: [leaf({ join: true }), leaf({ start: "startedAtBegin", work: 50, reaction: "slow", cleanup: 10 }), leaf({ work: 50 })],
      }),
      outsideAt: undefined,
    });
    expect(report.violations).toEqual([]);
    expect(report.outcome).toEqual({ ok: true, value: "root:body" });
    const [oldest, middle] = report.root.children as [TaskRec, TaskRec];
    expect(oldest.turn).toBeUndefined();
    expect(oldest.settle?.verdict).toBe("cancel");
    expect(oldest.settle?.seq).toBeLessThan(middle.settle?.seq ?? 0);
    expect(oldest.handle?.state).toBe("cancelled");
  });
});

// ------------------------------------------------------------------------------------------------
// The edges (issue 16): callbacks that throw during cancellation, cancelled siblings awaited by
// others, errors whose `cause` is a reason, deadlines due on entry, chains thousands deep. A second
// generator with its own oracle: each child of one nursery gets one edge behaviour; the nursery
// gets a trigger (cancel(), an outside signal, `timeout: 0`, or nothing) and optionally one child
// is a chain of nested nurseries thousands deep. Real time (no timers are involved: every child
// waits for its signal or settles at once), so a run is deterministic given its input.
//
// Oracle: the nursery's outcome lists exactly the real errors (throwing hooks, errors whose cause
// is a reason), each once, in the order they were thrown; a task cancelled on purpose and awaited
// by another never counts; with no real error the outcome follows the trigger (resolved for
// cancel() or none, the outside CancelledError, a TimeoutError for `timeout: 0`); every cleanup of
// the chain ran, innermost first; nothing is left listening.
// ------------------------------------------------------------------------------------------------

type Edge = "prompt" | "throwingHook" | "throwingSignalHook" | "causeError" | "halted" | "awaitsHalted";
interface EdgeScenario {
  edges: Edge[];
  trigger: "cancel" | "outside" | "timeout0" | "none";
  chain: number;
}

const edgeArb: fc.Arbitrary<EdgeScenario> = fc.record({
  edges: fc.array(fc.constantFrom<Edge>("prompt", "throwingHook", "throwingSignalHook", "causeError", "halted", "awaitsHalted"), {
    maxLength: 12,
  }),
  trigger: fc.constantFrom("cancel" as const, "outside" as const, "timeout0" as const, "none" as const),
  chain: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3_000 }) }),
});

async function edgesHold(s: EdgeScenario): Promise<void> {
  const thrown: unknown[] = [];
  const chainLog: number[] = [];
  const outside = new AbortController();
  const waitTurn = (signal: AbortSignal): Promise<never> =>
    new Promise((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  const level =
    (i: number) =>
    async (task: TaskContext): Promise<void> => {
      await null;
      try {
        if (i === s.chain) await waitTurn(task.signal);
        else await nursery((n) => void n.spawn(level(i + 1)), { signal: task.signal });
      } finally {
        chainLog.push(i);
      }
    };
  let chainOpen: (() => void) | undefined;
  const chainReady = new Promise<void>((resolve) => (chainOpen = resolve));
  const triggered = s.trigger !== "none";
  const outcome = await settleOutcome(
    nursery(
      async (n) => {
        const halted: Task<unknown>[] = [];
        s.edges.forEach((edge, k) => {
          const name = `e${k}`;
          if (edge === "awaitsHalted") {
            const target = halted[halted.length - 1];
            n.spawn(async () => {
              if (target !== undefined) await target;
            }, { name });
            return;
          }
          const t = n.spawn(async (task) => {
            if (edge === "throwingHook" || edge === "throwingSignalHook") {
              const err = new Error(`${name} hook failed`);
              const source = edge === "throwingHook" ? task : task.signal;
              onCancel(source, () => {
                thrown.push(err);
                throw err;
              });
            }
            try {
              await waitTurn(task.signal);
            } catch (reason) {
              if (edge === "causeError") {
                const err = new Error(`${name} cleanup failed`, { cause: reason });
                thrown.push(err);
                throw err;
              }
              throw reason;
            }
          }, { name });
          if (edge === "halted") halted.push(t);
        });
        if (s.chain > 0) {
          n.spawn(async (task) => {
            await null;
            chainOpen?.();
            return level(1)(task);
          });
          await chainReady;
          await new Promise((resolve) => setImmediate(resolve));
        }
        // Cancel every "halted" task on purpose and await it (effection's halt()).
        for (const t of halted) {
          t.cancel();
          await t.then(undefined, (err: unknown) => {
            if (!(err instanceof CancelledError)) throw err;
          });
        }
        if (s.trigger === "cancel") n.cancel();
        if (s.trigger === "outside") outside.abort("outside");
        if (!triggered) {
          // Nothing else ends the children: cancel the rest one by one on purpose.
          for (const t of n.children) t.cancel();
        }
        return "body";
      },
      { signal: outside.signal, ...(s.trigger === "timeout0" ? { timeout: 0 } : {}) },
    ),
  );
  const errors = outcome.ok ? [] : outcome.error instanceof NurseryError ? [...outcome.error.errors] : undefined;
  if (thrown.length > 0) {
    expect(errors).toEqual(thrown);
  } else if (s.trigger === "outside") {
    expect(outcome.ok ? outcome.value : outcome.error).toBeInstanceOf(CancelledError);
  } else if (s.trigger === "timeout0") {
    expect(outcome.ok ? outcome.value : outcome.error).toBeInstanceOf(TimeoutError);
  } else {
    expect(outcome).toEqual({ ok: true, value: "body" });
  }
  if (s.chain > 0 && s.trigger !== "timeout0") {
    expect(chainLog).toHaveLength(s.chain);
    expect(chainLog.every((v, i) => v === s.chain - i)).toBe(true);
  }
  expect(listeners(outside.signal)).toBe(0);
}

async function settleOutcome(p: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

describe("nursery invariants at the edges", () => {
  it("hold over random throwing hooks, cancelled siblings awaited by others, errors caused by a reason, deadlines due on entry and chains thousands deep", async () => {
    const unhandled = await collectUnhandledRejections(async () => {
      await fc.assert(fc.asyncProperty(edgeArb, edgesHold), { numRuns: 60 });
    });
    expect(unhandled).toEqual([]);
  });
});
