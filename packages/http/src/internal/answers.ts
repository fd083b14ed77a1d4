// What serve() answers and reports itself, apart from the handler's own responses: the short text
// responses (probes, 500 for a failed handler, 503 while shutting down) and the report of a failed
// request (the `onError` hook, else the console, and the `nursery:http:error` channel).
import { channel } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describeValue } from "@nursery/core/adapter";
import type { RequestErrorContext, ServeOptions } from "../options.js";

/** Published once for each failed request, with `{ error, task, request }`. */
export const errorChannel = channel("nursery:http:error");

/** The path of a request URL, without its query (what a probe path is compared with). */
function pathOf(url: string | undefined): string {
  const u = url ?? "/";
  const q = u.indexOf("?");
  return q === -1 ? u : u.slice(0, q);
}

/** Answers a short text response the package writes itself (probes, 500, 503). */
export function answer(res: ServerResponse, status: number, body: string, close: boolean): void {
  if (res.headersSent || res.destroyed) return;
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    ...(close ? { connection: "close" } : {}),
  });
  res.end(body);
}

/**
 * Answers a readiness or liveness probe and says so; `false` when `req` is not a probe (it is then
 * a request like any other). Readiness answers 503 once the server is not `ready` (shutting down);
 * with `close`, the client is told to open a new connection.
 */
export function answerProbe(
  req: IncomingMessage,
  res: ServerResponse,
  readiness: string | undefined,
  liveness: string | undefined,
  ready: boolean,
  close: boolean,
): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const path = pathOf(req.url);
  if (path === readiness) {
    if (ready) answer(res, 200, "ready\n", close);
    else answer(res, 503, "shutting down\n", close);
    return true;
  }
  if (path === liveness) {
    answer(res, 200, "live\n", close);
    return true;
  }
  return false;
}

/**
 * Reports a failed request once: to the `nursery:http:error` channel, and to `hook` (`onError`), or
 * to the console without one. A throwing hook is reported with the error, never thrown.
 */
export function reportError(hook: ServeOptions["onError"], error: unknown, context: RequestErrorContext): void {
  if (errorChannel.hasSubscribers) errorChannel.publish({ error, task: context.task, request: context.request });
  if (hook === undefined) {
    print(`${context.task.name} failed:`, [error]);
    return;
  }
  try {
    hook(error, context);
  } catch (hookError) {
    // The hook's own failure must not be lost either, nor break the server.
    print(`${context.task.name} failed:`, [error, "\nand onError threw:", hookError]);
  }
}

/**
 * console.error that never throws: printing runs the values' own code (a `util.inspect.custom`
 * that throws), and a report that throws would leave its request running forever or, from a
 * promise callback, crash the process. What cannot be printed is named by its type.
 */
function print(title: string, values: unknown[]): void {
  try {
    console.error(title, ...values);
  } catch (printError) {
    try {
      const shown = values.map((value) => (typeof value === "string" ? value : describeValue(value))).join(" ");
      console.error(`${title} ${shown} (printing it threw: ${textOf(printError)})`);
    } catch {
      // Nothing more can be done for a console that itself throws.
    }
  }
}

function textOf(value: unknown): string {
  try {
    const message = (value as { message?: unknown } | null)?.message;
    return typeof message === "string" ? message : String(value);
  } catch {
    return describeValue(value);
  }
}
