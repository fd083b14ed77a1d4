// webHandler(): a handler written for the web's Request/Response (the fetch-handler shape of Deno,
// Bun, workerd and Hono's app.fetch) served by serve(). The request's task signal is the Request's
// signal, and cancellation stops the response body's stream.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { TaskContext } from "@nursery/core";
import { locateAs, onCancel } from "@nursery/core/adapter";
import type { RequestHandler } from "./options.js";
import { invalidArgument as invalid } from "@nursery/core/adapter";

/** A handler in the web's shape: a `Request` in, a `Response` out. */
export type WebHandler = (request: Request, task: TaskContext) => Response | PromiseLike<Response>;

function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const secure = (req.socket as Partial<TLSSocket>).encrypted === true;
  let url: URL;
  try {
    url = new URL(req.url ?? "/", `${secure ? "https" : "http"}://${req.headers.host ?? "localhost"}`);
  } catch {
    url = new URL(req.url ?? "/", `${secure ? "https" : "http"}://localhost`);
  }
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

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.removeListener("drain", done);
      res.removeListener("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
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
      if (done) break;
      if (!res.write(value)) await waitDrain(res);
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
    const response = await handler(toRequest(req, task.signal), task);
    if (!(response instanceof Response)) throw invalid("the handler's result", "a Response", response);
    await writeResponse(response, req, res, task);
  }, handler);
}
