// requestTask(): the task of a request, for handlers a framework calls (Express, Fastify).
import type { IncomingMessage } from "node:http";
import type { TaskContext } from "@nursery/core";
import { taskOf } from "./internal/served-server.js";
import { invalidArgument as invalid } from "@nursery/core/adapter";

/**
 * The task of a request that {@link serve} is serving: pass its `signal` to what the handler
 * awaits (`fetch`, queries, sleeps), so they stop when the client goes away or shutdown cancels
 * the request. For frameworks that call handlers themselves (Express: `req`; Fastify:
 * `request.raw`). Throws a TypeError for a request that serve() did not start.
 *
 * @example
 * ```ts
 * app.get("/users", async (req, res) => {
 *   const { signal } = requestTask(req);
 *   res.json(await (await fetch(usersUrl, { signal })).json());
 * });
 * ```
 */
export function requestTask(request: IncomingMessage): TaskContext {
  const task = typeof request === "object" && request !== null ? taskOf(request) : undefined;
  if (task === undefined) throw invalid("request", "a request served by serve()", request);
  return task;
}
