// One server served by serve(): the requests in flight, the sockets, and the shutdown steps. What
// serve() answers and reports itself (probes, 500, 503, a failed request's report) is answers.ts.
//
// Goal. Every request is a task; shutdown (the server's task cancelled, e.g. SIGTERM under run())
// drops nothing that could have finished, in one budget: readiness fails at once, the listener
// closes after `drainDelay`, requests in flight get `grace` to finish, are then cancelled newest
// first, and when `drainDelay + grace + cleanupTimeout` has passed every socket left is destroyed.
//
// Invariants.
// - A request's task ends only once its handler settled AND its response emitted "close" (finished,
//   or the socket went away). The response, not the handler, is what the client waits for: an
//   Express handler that runs `res.send()` in the continuation of an `await` is still in flight
//   until that continuation ran, so no socket is closed under it (the race of a hand-written drain
//   that closes every connection as soon as the handlers' promises settled).
// - `#inFlight` holds exactly the responses of running request tasks.
// - Before the budget ends a socket is closed only when no response of a running request task is
//   on it (its BUSY count): idle ones at the close, busy ones once their last response is over (they are
//   also told `Connection: close` when their response has not started).
// - The listener is closed with net.Server's close(), not http.Server's: the latter first calls
//   closeIdleConnections(), which destroys a socket whose response has ended but is still being
//   written (a large body to a slow client), truncating it (Node 20; shutdown.test.ts, "large").
// - A handler error is reported once (onError, and the `nursery:http:error` channel) and never
//   reaches the nursery: one failing request must not cancel the others or stop the server. A
//   cancellation of the request's own task is never reported and never answered 500.
//
// Designs that do not work. A requests nursery linked to the server task's signal is cancelled the
// moment SIGTERM arrives, cutting every request in flight. An unlinked one drains, but the task
// tree (what run() prints for a shutdown that hangs) no longer shows the requests. So the tree is:
//   http (nursery, linked to the server's task)
//   ├─ requests (nursery, linked to http's body: cancelled only after every child of http ended)
//   │  └─ GET /slow  ...one task per request
//   └─ shutdown (a task: on cancellation it runs the steps, then cancels `requests` itself)
// Cancelling `http` cancels its newest child first, `shutdown`, whose steps run while `requests`
// still serves; `requests` is cancelled by `shutdown` when grace ends (or when it is empty).
//
// Known limits. A handler that ignores its cancellation keeps its task running after its socket was
// destroyed: it shows up, by method and URL with its age, in run()'s shutdown-timeout report.
// "upgrade" and "connect" requests (WebSockets) are not request tasks; their sockets are destroyed
// at the end of the budget like the others.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Server as NetServer, type AddressInfo, type Socket } from "node:net";
import { isCancellation, type Clock, type Nursery, type Task, type TaskContext, type TimerHandle } from "@nursery/core";
import { cancelReasonOf, locateAs, onCancel } from "@nursery/core/adapter";
import type { RequestHandler, ServeOptions, ShutdownPhase } from "../options.js";
import { answer, answerProbe, reportError } from "./answers.js";

// A request's task is kept on the request under a symbol rather than in a WeakMap: a WeakMap
// entry per request is an ephemeron, which the garbage collector processes specially.
const TASK = Symbol("@nursery/http task");
type Tagged = IncomingMessage & { [TASK]?: TaskContext };
// Running request tasks on a socket, kept on the socket for the same reason.
const BUSY = Symbol("@nursery/http busy");
// The response to the latest request read on a socket: pipelined requests are answered in order,
// so only that one may say `Connection: close` (Node ends the socket after a response that says
// it, dropping the responses queued behind it).
const LAST = Symbol("@nursery/http last");
type BusySocket = Socket & { [BUSY]?: number; [LAST]?: ServerResponse | undefined };

/** The task of a request being served, or undefined. */
export function taskOf(request: IncomingMessage): TaskContext | undefined {
  return (request as Tagged)[TASK];
}

const SERVING = 0;
const DRAINING = 1;
const CLOSING = 2;
const CANCELLING = 3;
const DESTROYING = 4;

/** Why a request's task is cancelled when its client leaves; `detail` of its CancelledError. */
export const CLIENT_CLOSED = "the client closed the connection";
/** Why the requests still in flight are cancelled when `grace` ends. */
export const GRACE_ENDED = "shutdown: grace ended";

/** The settings serve() checked. */
export interface ServeConfig {
  readonly handler: RequestHandler | undefined;
  readonly readiness: string | undefined;
  readonly liveness: string | undefined;
  readonly drainDelay: number;
  readonly grace: number;
  readonly cleanupTimeout: number;
  readonly onError: ServeOptions["onError"];
  readonly onShutdown: ServeOptions["onShutdown"];
}

type Listener = (...args: unknown[]) => void;

export class ServedServer {
  readonly #server: Server;
  readonly #config: ServeConfig;
  readonly #clock: Clock;
  readonly #handler: RequestHandler;
  /** What task trees show as a request task's definition site: the `handler` option, else none (a framework's listener is its own code). */
  readonly #site: Function | null;
  readonly #prior: Listener[];
  readonly #inFlight = new Set<ServerResponse>();
  /** Every TCP socket of the server, until it closes (destroyed when the budget ends). */
  readonly #sockets = new Set<Socket>();
  /** The sockets HTTP runs on (for https: the TLS sockets); each counts its running request tasks under BUSY. */
  readonly #httpSockets = new Set<BusySocket>();
  readonly #removers: Array<() => void> = [];
  #phase = SERVING;
  #requests: Nursery | undefined = undefined;
  #budgetTimer: TimerHandle | undefined = undefined;
  #whenEmpty: (() => void) | undefined = undefined;
  #whenClosing: (() => void) | undefined = undefined;
  #closed = false;
  #failure: { error: unknown } | undefined = undefined;
  #hookFailure: { error: unknown } | undefined = undefined;
  #wake: (() => void) | undefined = undefined;

  constructor(server: Server, config: ServeConfig, clock: Clock) {
    this.#server = server;
    this.#config = config;
    this.#clock = clock;
    this.#prior = server.listeners("request") as Listener[];
    this.#site = config.handler ?? null;
    this.#handler = config.handler ?? ((req, res) => {
      for (const listener of this.#prior) listener.call(server, req, res);
    });
  }

  /** Takes the server's "request" event over (the prior listeners run inside the tasks). */
  attach(): void {
    const server = this.#server;
    for (const listener of this.#prior) server.removeListener("request", listener);
    this.#removers.push(() => {
      for (const listener of this.#prior) server.on("request", listener);
    });
    this.#listen("request", this.#onRequest as Listener);
    const secure = this.#secure();
    this.#listen("connection", ((socket: Socket) => {
      this.#sockets.add(socket);
      if (!secure) this.#track(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    }) as Listener);
    if (secure) this.#listen("secureConnection", ((socket: Socket) => this.#track(socket)) as Listener);
    this.#listen("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
    this.#listen("error", (error: unknown) => {
      this.#failure ??= { error };
      this.#wake?.();
    });
  }

  /**
   * Ends the server's lifetime: clears the budget timer, destroys the sockets still open (by now
   * none carries a request task: idle ones, TLS handshakes, upgraded sockets), removes every
   * listener serve() added and gives the "request" event back.
   */
  detach(): void {
    if (this.#budgetTimer !== undefined) this.#clock.clearTimer(this.#budgetTimer);
    // http.Server's own close(), for what it adds to net's (it stops Node's connection checker).
    this.#server.close(() => undefined);
    this.#server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
    for (const remove of this.#removers.splice(0).reverse()) remove();
  }

  #track(socket: Socket): void {
    (socket as BusySocket)[BUSY] = 0;
    this.#httpSockets.add(socket);
    socket.on("close", () => this.#httpSockets.delete(socket));
  }

  #secure(): boolean {
    return typeof (this.#server as unknown as { setSecureContext?: unknown }).setSecureContext === "function";
  }

  #listen(event: string, listener: Listener): void {
    this.#server.on(event, listener);
    this.#removers.push(() => this.#server.removeListener(event, listener));
  }

  /** `http://127.0.0.1:8080`, `https://[::1]:8443`, or the pipe's path. */
  url(): string {
    const address: AddressInfo | string | null = this.#server.address();
    if (typeof address === "string" || address === null) return String(address);
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `${this.#secure() ? "https" : "http"}://${host}:${address.port}`;
  }

  // ===== Requests =====

  /** The body of the requests nursery: serves until the listener closes. */
  serveIn(requests: Nursery): Promise<void> {
    this.#requests = requests;
    return new Promise((resolve) => {
      this.#whenClosing = resolve;
    });
  }

  #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    (req.socket as BusySocket)[LAST] = res;
    const { readiness, liveness } = this.#config;
    if ((readiness !== undefined || liveness !== undefined) && answerProbe(req, res, readiness, liveness, this.#phase === SERVING, this.#phase >= CLOSING)) return;
    const requests = this.#requests;
    if (this.#phase >= CLOSING || requests === undefined) {
      // Arrived on a keep-alive socket after the listener closed: not started, and the client is
      // told to open a new connection (to another instance).
      answer(res, 503, "shutting down\n", true);
      return;
    }
    const spawned: { task?: Task<void> } = {};
    const run = locateAs((task: TaskContext) => this.#runRequest(task, spawned, req, res), this.#site);
    spawned.task = requests.spawn(run, { name: `${req.method ?? "GET"} ${req.url ?? "/"}` });
  };

  /**
   * The request's task function. `spawned.task` is the Task that spawn() returned for `task` (set
   * before anything here runs asynchronously). Written with one promise and no async function:
   * this is the per-request cost that bench/http.mjs compares with bare node:http.
   */
  #runRequest(task: TaskContext, spawned: { task?: Task<void> }, req: IncomingMessage, res: ServerResponse): Promise<void> {
    (req as Tagged)[TASK] = task;
    const socket = req.socket;
    const busySocket = socket as BusySocket;
    busySocket[BUSY] = (busySocket[BUSY] ?? 0) + 1;
    this.#inFlight.add(res);
    if (this.#phase >= CLOSING && !res.headersSent) res.setHeader("connection", "close");
    return new Promise<void>((resolve, reject) => {
      let handlerDone = false;
      let responseDone = false;
      // Runs once the response emitted "close" (its only event of that name) and the handler
      // settled, so the listener is not removed: that costs more than the rest of the request's
      // bookkeeping (node:events copies the listener array while it emits).
      const end = (): void => {
        this.#release(socket, res);
        // A cancelled request ends as cancelled, so diagnostics (and tracing) see it as such.
        const reason = cancelReasonOf(task);
        if (reason === undefined) resolve();
        else reject(reason);
      };
      const onClose = (): void => {
        // Closed before the response finished: the client left (or the socket was destroyed).
        if (!res.writableFinished) spawned.task?.cancel(CLIENT_CLOSED);
        responseDone = true;
        if (handlerDone) end();
      };
      // Once only, as a promise settles: a thenable that calls back twice (or both ways) must not
      // release the socket twice nor report a failure after its success.
      const settled = (): void => {
        if (handlerDone) return;
        handlerDone = true;
        if (cancelReasonOf(task) !== undefined) this.#cut(res);
        if (responseDone) end();
      };
      const failed = (error: unknown): void => {
        if (handlerDone) return;
        this.#failed(error, task, req, res);
        settled();
      };
      res.on("close", onClose);
      // Reading the result's `then` and calling it are the handler's code too (a Proxy, a getter, a
      // thenable whose then() throws): what they throw is the request's failure, never the
      // requests nursery's, which would stop the server.
      try {
        const result: unknown = this.#handler(req, res, task);
        const then: unknown = typeof result === "object" || typeof result === "function" ? (result as { then?: unknown } | null)?.then : undefined;
        if (typeof then === "function") (then as PromiseLike<unknown>["then"]).call(result, settled, failed);
        else settled();
      } catch (error) {
        failed(error);
      }
    });
  }

  /** A request task's response is over: its socket is one request less busy. */
  #release(socket: Socket, res: ServerResponse): void {
    this.#inFlight.delete(res);
    if ((socket as BusySocket)[LAST] === res) (socket as BusySocket)[LAST] = undefined;
    const busy = ((socket as BusySocket)[BUSY] ?? 1) - 1;
    (socket as BusySocket)[BUSY] = busy;
    if (this.#phase >= CLOSING) {
      if (busy === 0 && !socket.destroyed) socket.end();
      if (this.#inFlight.size === 0) this.#whenEmpty?.();
    }
  }

  #failed(error: unknown, task: TaskContext, req: IncomingMessage, res: ServerResponse): void {
    const reason = cancelReasonOf(task);
    if (reason !== undefined && isCancellation(error)) return; // #cut answers it
    // The client left mid-body: the request stream's own error ("aborted"), by identity, is what
    // its leaving caused, so it is that cancellation, not a failure. An error that wraps it is not.
    if (error != null && error === req.errored && (reason as { reason?: { detail?: unknown } } | undefined)?.reason?.detail === CLIENT_CLOSED) return;
    reportError(this.#config.onError, error, { task, request: req });
    if (!res.headersSent) answer(res, 500, "internal server error\n", this.#phase >= CLOSING);
    else if (!res.writableEnded) res.destroy(); // half a response: the client must see it failed
  }

  /** A cancelled request that has not answered: 503 if nothing was sent, else its socket is cut. */
  #cut(res: ServerResponse): void {
    if (res.writableEnded || res.destroyed) return;
    if (!res.headersSent) answer(res, 503, "shutting down\n", true);
    else res.destroy();
  }

  // ===== Shutdown =====

  /**
   * The `shutdown` task: waits for its cancellation (or the server closing, or failing), then runs
   * the steps. Returns once the requests nursery was told to cancel what is left.
   */
  async shutdown(task: TaskContext): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      if (this.#closed || this.#failure !== undefined) resolve();
      this.#removers.push(onCancel(task, () => resolve()));
    });
    this.#wake = undefined;
    const { drainDelay, grace, cleanupTimeout } = this.#config;
    this.#budgetTimer = this.#clock.setTimer(drainDelay + grace + cleanupTimeout, () => this.#destroyAll());

    this.#enter(DRAINING, "draining");
    if (drainDelay > 0 && this.#server.listening && this.#failure === undefined) await this.#delay(drainDelay);

    // The callback takes ERR_SERVER_NOT_RUNNING when the server is already closed.
    NetServer.prototype.close.call(this.#server, () => undefined);
    this.#enter(CLOSING, "closing");
    // Only the last response of each socket: one pipelined behind it is still to be answered.
    for (const socket of this.#httpSockets) {
      const last = socket[LAST];
      if (last !== undefined && this.#inFlight.has(last) && !last.headersSent) last.setHeader("connection", "close");
    }
    for (const socket of this.#httpSockets) if (!socket[BUSY]) socket.end();
    this.#whenClosing?.();

    if (this.#inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.#clock.setTimer(grace, () => resolve());
        this.#whenEmpty = () => {
          this.#clock.clearTimer(timer);
          resolve();
        };
      });
      this.#whenEmpty = undefined;
    }
    if (this.#inFlight.size > 0) this.#enter(CANCELLING, "cancelling");
    this.#requests?.cancel(GRACE_ENDED);
    if (this.#failure !== undefined) throw this.#failure.error;
    const hookFailure = this.takeHookFailure();
    if (hookFailure !== undefined) throw hookFailure.error;
  }

  // A throwing onShutdown must not skip the steps after it (the listener would stay open, the
  // sockets undestroyed) nor escape from a timer as an uncaught exception: the first error is kept
  // and ends serve() once the shutdown is over (see takeHookFailure).
  #enter(phase: number, name: ShutdownPhase): void {
    this.#phase = phase;
    const hook = this.#config.onShutdown;
    if (hook === undefined) return;
    try {
      hook(name, this.#inFlight.size);
    } catch (error) {
      this.#hookFailure ??= { error };
    }
  }

  /** The first error an `onShutdown` call threw, once; `undefined` if none (or already taken). */
  takeHookFailure(): { error: unknown } | undefined {
    const failure = this.#hookFailure;
    this.#hookFailure = undefined;
    return failure;
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimer(ms, resolve));
  }

  #destroyAll(): void {
    this.#budgetTimer = undefined;
    this.#enter(DESTROYING, "destroying");
    this.#server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
  }
}
