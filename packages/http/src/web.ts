// webHandler(): a handler written for the web's Request/Response (the fetch-handler shape of Deno,
// Bun, workerd and Hono's app.fetch) served by serve(). The request's task signal is the Request's
// signal, and cancellation stops the response body's stream.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { TaskContext } from "@nursery/core";
import { cancelReasonOf, invalidArgument as invalid, locateAs, onCancel } from "@nursery/core/adapter";
import { answer } from "./internal/answers.js";
import type { RequestHandler } from "./options.js";

/** A handler in the web's shape: a `Request` in, a `Response` out. */
export type WebHandler = (request: Request, task: TaskContext) => Response | PromiseLike<Response>;

/** The scheme and authority of a request: its Host header's, or localhost when that is no host. */
function originOf(req: IncomingMessage): string {
  const scheme = (req.socket as Partial<TLSSocket>).encrypted === true ? "https" : "http";
  try {
    // `.origin`, not the text: a Host header with a path or a query ("a.example/x?") must not add to the URL.
    return new URL(`${scheme}://${req.headers.host ?? "localhost"}`).origin;
  } catch {
    return `${scheme}://localhost`;
  }
}

/**
 * The request's URL. A target in origin form ("/path?q") is a path on the Host's origin, also when
 * it starts with "//": resolved as a relative URL, "//evil.example/x" would name another host.
 * An absolute target ("http://other.example/x", a proxy's form) is its own URL; "*" is the origin's.
 */
function urlOf(req: IncomingMessage): URL {
  const target = req.url ?? "/";
  const origin = originOf(req);
  if (target.startsWith("/")) return new URL(origin + target);
  try {
    return new URL(target);
  } catch {
    return new URL(target, origin);
  }
}

/** Methods the web's Request refuses (forbidden methods): a web handler cannot be given them. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const url = urlOf(req);
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] ?? "", raw[i + 1] ?? "");
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  // `duplex: "half"` is required for a streamed body (undici); @types/node 20 does not declare it.
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal };
  if (hasBody) {
    init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
    init.duplex = "half";
  }
  return new Request(url, init);
}

/** Resolves when `res` can take more, is gone, or the task is cancelled (a client that stopped reading must not hold a cancelled request). */
function waitDrain(res: ServerResponse, task: TaskContext): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.removeListener("drain", done);
      res.removeListener("close", done);
      remove();
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
    const remove = onCancel(task, done);
  });
}

async function writeResponse(response: Response, req: IncomingMessage, res: ServerResponse, task: TaskContext): Promise<void> {
  const headers: OutgoingHttpHeaders = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText, headers);
  const body = response.body;
  if (body === null || req.method === "HEAD") {
    await body?.cancel();
    res.end();
    return;
  }
  const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader();
  // The one cancellation listener of this response: it stops the body's source.
  const remove = onCancel(task, (reason) => {
    reader.cancel(reason).catch(() => undefined); // the read below rejects with the reason
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      // A cancelled body's reads end as if it were complete: ending the response would hand the
      // client a well-formed, truncated body. The cancellation is thrown instead, and the socket
      // of the response that started is cut (serve()'s rule for a cancelled request).
      const reason = cancelReasonOf(task);
      if (reason !== undefined) throw reason as Error; // a task's cancellation reason is its CancelledError
      if (done) break;
      if (!res.write(value)) await waitDrain(res, task);
    }
    res.end();
  } finally {
    remove();
  }
}

/**
 * Adapts a handler written for the web's `Request`/`Response` to {@link serve}. The `Request`'s
 * `signal` is the request's task signal (aborted when the client leaves or shutdown cancels the
 * request); the `Response`'s body is streamed with backpressure and its stream is cancelled when
 * the task is. A handler that returns something else than a `Response` fails the request (500).
 * A cancelled body is not ended as if complete: the response's socket is cut. A method a `Request`
 * cannot carry (`TRACE`) is answered 501 without calling the handler.
 *
 * @example
 * ```ts
 * await serve(task, createServer(), {
 *   listen: 8080,
 *   handler: webHandler(async (request) => Response.json({ path: new URL(request.url).pathname })),
 * });
 * ```
 */
export function webHandler(handler: WebHandler): RequestHandler {
  if (typeof handler !== "function") throw invalid("handler", "a function", handler);
  // Task trees show where the web handler is defined, not this wrapper.
  return locateAs(async (req: IncomingMessage, res: ServerResponse, task: TaskContext) => {
    if (FORBIDDEN_METHODS.has(req.method ?? "")) {
      // The client's choice, not the server's failure: not reported, and not a 500.
      answer(res, 501, "method not implemented\n", res.getHeader("connection") === "close");
      return;
    }
    const response = await handler(toRequest(req, task.signal), task);
    if (!(response instanceof Response)) throw invalid("the handler's result", "a Response", response);
    await writeResponse(response, req, res, task);
  }, handler);
}
