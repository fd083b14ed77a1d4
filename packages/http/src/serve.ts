// serve(): a Node HTTP(S) server run as a task. The lifecycle is in internal/served-server.ts.
import { once } from "node:events";
import type { Server } from "node:http";
import { isCancellation, nursery, realClock, type TaskContext } from "@nursery/core";
import { cancelReasonOf, checkDuration, checkOptionalFunction, checkOptionalString, checkOptions, invalidArgument as invalid, isAbortSignal, isCancelledBy, isRecord, locateAs, onCancel } from "@nursery/core/adapter";
import type { ServeOptions } from "./options.js";
import { ServedServer, type ServeConfig } from "./internal/served-server.js";
import { checkProbePath } from "./internal/probe-path.js";

/** What serve() needs of a server: `http.Server` and `https.Server` both have it. */
export type HttpServer = Pick<Server, "listen" | "close" | "closeIdleConnections" | "closeAllConnections" | "address" | "listening" | "on" | "removeListener" | "listeners" | "listenerCount">;

function isServer(value: unknown): value is Server {
  return (
    isRecord(value) &&
    typeof value.listen === "function" &&
    typeof value.closeAllConnections === "function" &&
    typeof value.closeIdleConnections === "function" &&
    typeof value.on === "function"
  );
}

function configOf(server: Server, options: ServeOptions | undefined): ServeConfig {
  checkOptions("options", options);
  const handler = checkOptionalFunction<NonNullable<ServeOptions["handler"]>>("handler", options?.handler);
  if (handler === undefined && server.listenerCount("request") === 0) {
    throw invalid("handler", "a function (the server has no \"request\" listener to use)", handler);
  }
  checkListen(options?.listen);
  checkOptionalString("name", options?.name);
  return {
    handler,
    readiness: checkProbePath("readiness", options?.readiness),
    liveness: checkProbePath("liveness", options?.liveness),
    drainDelay: checkDuration("drainDelay", options?.drainDelay === undefined ? 0 : options.drainDelay),
    grace: checkDuration("grace", options?.grace === undefined ? 5000 : options.grace),
    cleanupTimeout: checkDuration("cleanupTimeout", options?.cleanupTimeout === undefined ? 1000 : options.cleanupTimeout),
    onError: checkOptionalFunction("onError", options?.onError),
    onShutdown: checkOptionalFunction("onShutdown", options?.onShutdown),
  };
}

function isPort(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value < 65536;
}

/**
 * `listen`: a port, or options with a `port` or a `path` (what server.listen() needs), checked
 * before anything starts so that a bad one is the house TypeError and leaves nothing behind.
 */
function checkListen(listen: unknown): void {
  if (listen === undefined || isPort(listen)) return;
  if (!isRecord(listen)) throw invalid("listen", "a port number or listen options", listen);
  const { port, host, path } = listen;
  if (port !== undefined && !isPort(port)) throw invalid("listen.port", "an integer from 0 to 65535", port);
  checkOptionalString("listen.host", host);
  checkOptionalString("listen.path", path);
  if (port === undefined && path === undefined) throw invalid("listen", "listen options with a `port` or a `path`", listen);
}

/** Listens if asked to, or waits until someone else made the server listen; rejects on an error or a cancellation. */
async function listening(server: Server, task: TaskContext, listen: ServeOptions["listen"]): Promise<void> {
  if (server.listening) return;
  const aborted = new AbortController();
  const remove = onCancel(task, (reason) => aborted.abort(reason));
  try {
    const ready = once(server, "listening", { signal: aborted.signal });
    if (listen !== undefined) {
      try {
        server.listen(listen);
      } catch (err) {
        // An option server.listen() refuses (`signal` of the wrong type): once()'s listeners go too.
        ready.catch(() => undefined);
        aborted.abort();
        throw err;
      }
    }
    await ready;
  } catch (err) {
    if (cancelReasonOf(task) !== undefined) server.close(() => undefined);
    // The reason stands in only for what the cancellation caused (events.once's AbortError): a
    // listen error (EADDRINUSE) that arrives as the task is cancelled is still that error.
    if (isCancelledBy(err, task)) throw cancelReasonOf(task) as Error; // a task's cancellation reason is its CancelledError
    throw err;
  } finally {
    remove();
  }
}

/**
 * Serves `server` (an `http.Server` or `https.Server`) as part of `task`, until the task is
 * cancelled or the server is closed. Every request runs as a task named `METHOD /url`; a client
 * that goes away cancels its task; a failing handler answers 500 and is reported once, without
 * stopping the server.
 *
 * Cancelling `task` (SIGTERM under `run()`) shuts the server down in one budget: readiness answers
 * 503 at once; after `drainDelay` the listener closes, idle keep-alive sockets are closed and busy
 * ones answer with `Connection: close`; requests in flight get `grace` ms, are then cancelled
 * newest first, and once `drainDelay + grace + cleanupTimeout` has passed every remaining socket
 * is destroyed.
 *
 * - **Resolves** when the server was closed by someone else (`server.close()`) and every request
 *   ended.
 * - **Rejects** with the task's cancellation once shutdown is over (under `run()`: exit 143), or
 *   with the server's error (`EADDRINUSE`).
 * - When `task` comes from `Nursery.start()`, `task.started(url)` is called once the server listens.
 *
 * @example
 * ```ts
 * await run(async (task) => {
 *   const server = createServer();
 *   await serve(task, server, {
 *     listen: { port: 8080 },
 *     readiness: "/readyz",
 *     handler: async (req, res, request) => {
 *       const upstream = await fetch("http://127.0.0.1:9000/", { signal: request.signal });
 *       res.end(await upstream.text());
 *     },
 *   });
 * });
 * ```
 */
export async function serve(task: TaskContext, server: HttpServer, options?: ServeOptions): Promise<void> {
  if (!isRecord(task) || !isAbortSignal((task as { signal?: unknown }).signal)) throw invalid("task", "a task (with a signal)", task);
  if (!isServer(server)) throw invalid("server", "an http.Server or https.Server", server);
  const config = configOf(server, options);
  const reason = cancelReasonOf(task);
  if (reason !== undefined) throw reason as Error; // a task's cancellation reason is its CancelledError
  const clock = task.clock ?? realClock;

  await listening(server, task, options?.listen);
  const served = new ServedServer(server, config, clock);
  served.attach();
  try {
    const start = (task as { started?: unknown }).started;
    if (typeof start === "function") start.call(task, served.url());
    await nursery(
      async (http) => {
        // No definition site in task trees: it is the package's own bookkeeping.
        http.spawn(locateAs((t: TaskContext) => served.shutdown(t), null), { name: "shutdown" });
        await nursery((requests) => served.serveIn(requests), {
          name: "requests",
          signal: http.signal,
          // Requests are independent of each other: each is cancelled in turn, newest first,
          // without waiting for the previous one's cleanup to end.
          childGrace: 0,
          clock,
        });
      },
      { name: options?.name ?? "http", signal: task.signal, clock },
    );
  } catch (err) {
    served.detach();
    throw withLateHookFailure(served, err);
  }
  served.detach();
  const late = served.takeHookFailure();
  if (late !== undefined) throw late.error;
}

// An `onShutdown` that threw after the shutdown task had returned (the "destroying" step runs on
// the budget timer) is still an error of serve(): it replaces a cancellation, and joins a real error.
function withLateHookFailure(served: ServedServer, err: unknown): unknown {
  const late = served.takeHookFailure();
  if (late === undefined) return err;
  if (isCancellation(err)) return late.error;
  return new AggregateError([err, late.error], "serve() failed, and onShutdown threw");
}
