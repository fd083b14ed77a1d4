// Lifecycle events on node:diagnostics_channel, for tracing and metrics tools. Publishing is
// guarded by `hasSubscribers`: with nobody subscribed, no event object is allocated and the cost
// is one property read per spawn, cancellation and settlement, and per nursery opened and closed. Where the runtime has no
// diagnostics_channel (browsers, workerd), the channels are in-process ones with the same contract
// (internal/host/diagnostics-channel.neutral.ts), chosen by package.json `imports` conditions.
import { channel } from "#core-host/diagnostics-channel";
import type { CancelledError } from "./errors.js";
import type { Nursery } from "./nursery.js";
import type { Task, TaskState } from "./task.js";

/** Published on `nursery:spawn` when a task is spawned or started, before its function runs. */
export interface SpawnEvent {
  readonly task: Task<unknown>;
  readonly nursery: Nursery;
}

/**
 * Published on `nursery:cancel` when a cancellation starts: once for the nursery (`task`
 * undefined) when its first trigger fires, and once per task when its turn comes.
 */
export interface CancelEvent {
  readonly nursery: Nursery;
  readonly task: Task<unknown> | undefined;
  readonly reason: CancelledError;
}

/** Published on `nursery:settle` when a task settles; `outcome` is its value or error. */
export interface SettleEvent {
  readonly task: Task<unknown>;
  readonly nursery: Nursery;
  readonly state: Exclude<TaskState, "running">;
  readonly outcome: unknown;
}

/**
 * Published on `nursery:open` when a nursery is created, at the end of its constructor, in the
 * frame of the code opening it (before its body runs and before its first spawn).
 */
export interface OpenEvent {
  readonly nursery: Nursery;
}

/**
 * Published on `nursery:close` once a nursery has settled: after its body and every child, with
 * what it resolves (`ok`) or rejects with (`outcome`).
 */
export interface CloseEvent {
  readonly nursery: Nursery;
  readonly ok: boolean;
  readonly outcome: unknown;
}

/**
 * The part of a `node:diagnostics_channel` Channel that every runtime has: on Node, Bun and Deno
 * the objects in {@link channels} are Node's own channels; elsewhere, in-process ones with the same
 * contract. Subscribe with `channels.spawn.subscribe(fn)`; publish only while `hasSubscribers`.
 */
export interface DiagnosticsChannel {
  readonly name: string | symbol;
  /** True while at least one subscriber is attached; publish only then. */
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
  subscribe(onMessage: (message: unknown, name: string | symbol) => void): void;
  unsubscribe(onMessage: (message: unknown, name: string | symbol) => void): void;
}

/**
 * The channels, by name: `nursery:spawn` ({@link SpawnEvent}), `nursery:cancel`
 * ({@link CancelEvent}), `nursery:settle` ({@link SettleEvent}), `nursery:open`
 * ({@link OpenEvent}), `nursery:close` ({@link CloseEvent}). Subscribe with
 * `diagnostics_channel.subscribe(name, fn)` (Node, Bun, Deno) or through these objects (every
 * runtime).
 *
 * @example
 * ```ts
 * import { subscribe } from "node:diagnostics_channel";
 * subscribe("nursery:settle", (e) => metrics.count((e as SettleEvent).state));
 * ```
 */
export const channels: {
  readonly spawn: DiagnosticsChannel;
  readonly cancel: DiagnosticsChannel;
  readonly settle: DiagnosticsChannel;
  readonly open: DiagnosticsChannel;
  readonly close: DiagnosticsChannel;
} = {
  spawn: channel("nursery:spawn"),
  cancel: channel("nursery:cancel"),
  settle: channel("nursery:settle"),
  open: channel("nursery:open"),
  close: channel("nursery:close"),
} as const;
