// The public option and callback types of serve().
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ListenOptions } from "node:net";
import type { TaskContext } from "@nursery/core";

/**
 * A request handler that receives the request's task. Its returned promise is part of the
 * request's task: the task ends once the handler settled **and** the response is finished (or its
 * socket closed). A rejection answers 500 if nothing was sent; a rejection with the task's own
 * cancellation answers nothing (the client left) or 503 (shutdown).
 */
export type RequestHandler = (request: IncomingMessage, response: ServerResponse, task: TaskContext) => unknown;

/** A shutdown step, in order; passed to {@link ServeOptions.onShutdown}. */
export type ShutdownPhase =
  /** The server's task was cancelled: the readiness endpoint answers 503; requests are still served for `drainDelay`. */
  | "draining"
  /** The listener is closed, idle keep-alive sockets are closed, busy ones answer with `Connection: close`. */
  | "closing"
  /** `grace` passed with requests still in flight: they are cancelled, newest first. */
  | "cancelling"
  /** The budget ended: every remaining socket is destroyed. */
  | "destroying";

/** What {@link ServeOptions.onError} receives with the error. */
export interface RequestErrorContext {
  /** The request's task (its `name` is `METHOD /url`). */
  readonly task: TaskContext;
  readonly request: IncomingMessage;
}

/** Options of {@link serve}. */
export interface ServeOptions {
  /**
   * Handles each request inside its task. Default: the `"request"` listeners the server already has
   * (`http.createServer(expressApp)`, Fastify's `app.server`), called inside the task; they find
   * the task with `requestTask(request)`.
   */
  handler?: RequestHandler;
  /** Where to listen (`server.listen(listen)`), when the server is not listening yet. A number is a port. */
  listen?: ListenOptions | number;
  /** Name of the server's nursery, shown in task trees. Default `"http"`. */
  name?: string;
  /** Path of the readiness endpoint (GET/HEAD): 200, then 503 from the moment shutdown starts. Default: none. */
  readiness?: string;
  /** Path of the liveness endpoint (GET/HEAD): 200 until the server is gone. Default: none. */
  liveness?: string;
  /** Ms between the start of shutdown and closing the listener, while readiness fails and requests are still served. Default 0. */
  drainDelay?: number;
  /** Ms requests in flight get, once the listener is closed, to finish normally before they are cancelled. Default 5000. */
  grace?: number;
  /** Ms cancelled requests get for their cleanup before every remaining socket is destroyed. Default 1000. */
  cleanupTimeout?: number;
  /**
   * Called once for each request whose handler failed (never for a cancellation). Default: prints
   * the task's name and the error with `console.error`. The error is also published on the
   * `nursery:http:error` diagnostics channel.
   */
  onError?: (error: unknown, context: RequestErrorContext) => void;
  /** Called as shutdown reaches each {@link ShutdownPhase}, with the number of requests in flight. */
  onShutdown?: (phase: ShutdownPhase, inFlight: number) => void;
}
