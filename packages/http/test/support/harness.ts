// In-process harness: serve() inside a nursery of the test, on 127.0.0.1 port 0, and a plain
// node:http client that reports what a client sees (status, headers, body, or the socket error).
import { afterEach } from "@jest/globals";
import http from "node:http";
import { openNursery, type Clock, type Nursery } from "@nursery/core";
import { serve, type HttpServer, type ServeOptions, type ShutdownPhase } from "@nursery/http";

export interface Served {
  readonly url: string;
  readonly nursery: Nursery;
  readonly server: HttpServer;
  /** Shutdown phases as they were reached, with the requests in flight at each. */
  readonly phases: Array<[ShutdownPhase, number]>;
  /** Resolves when shutdown reaches `phase`. */
  reached(phase: ShutdownPhase): Promise<void>;
  /** Cancels the server's task (what SIGTERM does under run()). */
  shutdown(): void;
  /** Resolves once serve() and every request ended. */
  readonly done: Promise<void>;
}

const open = new Set<Served>();

afterEach(async () => {
  for (const served of open) {
    served.shutdown();
    // Cleanup only: a test that expects serve() to fail asserts on `done` itself.
    await served.done.then(undefined, () => undefined);
  }
  open.clear();
});

export async function startServing(options: ServeOptions, extra?: { server?: HttpServer; clock?: Clock; listen?: boolean }): Promise<Served> {
  const server = extra?.server ?? http.createServer();
  const n = openNursery({ name: "test", ...(extra?.clock ? { clock: extra.clock } : {}) });
  const phases: Array<[ShutdownPhase, number]> = [];
  const waiters = new Map<ShutdownPhase, () => void>();
  const reachedPromises = new Map<ShutdownPhase, Promise<void>>();
  for (const phase of ["draining", "closing", "cancelling", "destroying"] as const) {
    reachedPromises.set(phase, new Promise((resolve) => waiters.set(phase, resolve)));
  }
  const starting = n.start<string>((t) =>
    serve(t, server, {
      ...(extra?.listen === false ? {} : { listen: { port: 0, host: "127.0.0.1" } }),
      ...options,
      onShutdown: (phase, inFlight) => {
        phases.push([phase, inFlight]);
        options.onShutdown?.(phase, inFlight);
        waiters.get(phase)?.();
      },
    }),
  );
  let url: string;
  try {
    url = await starting;
  } catch (err) {
    n.cancel();
    await n[Symbol.asyncDispose]();
    throw err;
  }
  const done = Promise.resolve(n[Symbol.asyncDispose]());
  const served: Served = {
    url,
    nursery: n,
    server,
    phases,
    reached: (phase) => reachedPromises.get(phase) as Promise<void>,
    shutdown: () => n.cancel(),
    done,
  };
  open.add(served);
  return served;
}

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export type Outcome = Reply | { readonly error: string };

/** One request; resolves with the reply or the error code the client got (ECONNRESET, ECONNREFUSED). */
export function get(url: string, options: http.RequestOptions & { body?: string } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(url, options, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(options.body);
  });
}

/** A promise and its resolver. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves once `count` calls to the returned `arrive()` happened. */
export function arrivals(count: number): { arrive: () => void; all: Promise<void>; readonly seen: number } {
  const d = deferred();
  const state = {
    seen: 0,
    arrive: () => {
      state.seen += 1;
      if (state.seen === count) d.resolve();
    },
    all: d.promise,
  };
  return state;
}
