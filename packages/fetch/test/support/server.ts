// A real loopback HTTP server for the tests: `http.createServer().listen(0, "127.0.0.1")`, with
// what the tests observe from the server's side: every exchange (request + response), whether its
// socket closed, how many requests are in progress at once, and a way to wait for a state.
import { afterEach } from "@jest/globals";
import { getEventListeners } from "node:events";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request as the server saw it. */
export interface Exchange {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly socket: Socket;
  /** 1-based arrival order. */
  readonly index: number;
  /** Resolves when the underlying socket closes (the client aborted, or the server closed). */
  readonly socketClosed: Promise<void>;
  /** Resolves when the response is over; `finished` is false when it ended before `res.end()` was done. */
  readonly responseClosed: Promise<{ finished: boolean }>;
}

export type Handler = (exchange: Exchange) => void;

// One "close" listener per socket, however many keep-alive requests it carries.
const socketClosed = new WeakMap<Socket, Promise<void>>();

function closedPromise(socket: Socket): Promise<void> {
  let closed = socketClosed.get(socket);
  if (closed === undefined) {
    closed = new Promise((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once("close", () => resolve());
    });
    socketClosed.set(socket, closed);
  }
  return closed;
}

export class TestServer {
  readonly server: http.Server;
  readonly exchanges: Exchange[] = [];
  /** Requests whose response has not closed yet. */
  active = 0;
  /** The highest `active` ever seen. */
  maxActive = 0;
  readonly #watchers = new Set<() => void>();
  readonly #arrivals: Exchange[] = [];
  #handler: Handler;

  private constructor(handler: Handler) {
    this.#handler = handler;
    this.server = http.createServer((req, res) => this.#onRequest(req, res));
  }

  static async start(handler: Handler = ({ res }) => res.end("hello")): Promise<TestServer> {
    const server = new TestServer(handler);
    await new Promise<void>((resolve) => server.server.listen(0, "127.0.0.1", resolve));
    return server;
  }

  get origin(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  url(path = "/"): string {
    return `${this.origin}${path}`;
  }

  /** Number of requests received so far. */
  get count(): number {
    return this.exchanges.length;
  }

  /** Resolves when `predicate` holds, re-checked on every request start and end. */
  when(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!predicate()) return;
        this.#watchers.delete(check);
        resolve();
      };
      this.#watchers.add(check);
    });
  }

  /** The next request not yet taken by `nextRequest()`, in arrival order. */
  async nextRequest(): Promise<Exchange> {
    await this.when(() => this.#arrivals.length > 0);
    return this.#arrivals.shift() as Exchange;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const socket = req.socket;
    const exchange: Exchange = {
      req,
      res,
      socket,
      index: this.exchanges.length + 1,
      socketClosed: closedPromise(socket),
      responseClosed: new Promise((resolve) => res.once("close", () => resolve({ finished: res.writableFinished }))),
    };
    this.exchanges.push(exchange);
    this.#arrivals.push(exchange);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    res.once("close", () => {
      this.active--;
      this.#notify();
    });
    this.#notify();
    this.#handler(exchange);
  }

  #notify(): void {
    for (const check of [...this.#watchers]) check();
  }
}

/** Waits, turn by turn of the event loop, until `predicate` holds (for state with no event, like a virtual clock's timers). */
export async function until(predicate: () => boolean, turns = 100_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (predicate()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error("condition never held");
}

/** The number of abort listeners on `signal`. */
export function listeners(signal: AbortSignal): number {
  return getEventListeners(signal, "abort").length;
}

/** Answers 503 (with `Retry-After` when given) to the first `failures` requests, then 200 "ok". */
export function flaky(failures: number, retryAfter?: string): Handler {
  return ({ res, index }) => {
    if (index > failures) {
      res.end("ok");
      return;
    }
    res.statusCode = 503;
    if (retryAfter !== undefined) res.setHeader("retry-after", retryAfter);
    res.end("busy");
  };
}

/**
 * For a test file that starts at most one server per test: returns `start(handler?)`, and closes
 * the server it started after each test (registered with jest's `afterEach` when called).
 */
export function serverPerTest(): (handler?: Handler) => Promise<TestServer> {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  return async (handler) => {
    server = await TestServer.start(handler);
    return server;
  };
}
