import { describe, expect, it } from "@jest/globals";
import http from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import Fastify from "fastify";
import { isCancellation, nursery, onCancel, type TaskContext } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { requestTask } from "@nursery/http";
import { deferred, get, startServing, type Reply } from "./support/harness.js";

/** Waits until `task` is cancelled, then rejects with its reason (a handler's cancellable wait). */
function untilCancelled(task: TaskContext): Promise<never> {
  return new Promise((_, reject) => onCancel(task, reject));
}

/**
 * Serves `server` with a 1 s grace on `clock`, sends GET /slow, and once its route is inside
 * (`inside`) shuts down and lets the grace end: the route's task is cancelled, and the framework's
 * error handler must answer 503 "shutting down", never 500.
 */
async function expectCancelledRouteAnswers503(server: http.Server, clock: VirtualClock, inside: Promise<void>): Promise<void> {
  const served = await startServing({ grace: 1000 }, { server, clock });
  const reply = get(`${served.url}/slow`);
  await inside;
  served.shutdown();
  await served.reached("closing");
  await clock.advance(1000);
  const r = (await reply) as Reply;
  expect([r.status, r.body]).toEqual([503, "shutting down\n"]);
  await served.done;
}

describe("serve with Express", () => {
  it("hands each route its request's task, and a reply sent after `await task` during shutdown is not reset", async () => {
    const work = deferred<string>();
    const inside = deferred();
    const app = express();
    app.get("/report", async (req, res) => {
      const task = requestTask(req);
      inside.resolve();
      // The shape of the race: await a task, then reply in the continuation.
      const value = await nursery((n) => n.spawn(() => work.promise, { name: "build-report" }), { signal: task.signal });
      res.send(`${task.name}: ${value}`);
    });
    const served = await startServing({}, { server: http.createServer(app), clock: new VirtualClock() });
    const reply = get(`${served.url}/report`);
    await inside.promise;
    served.shutdown();
    await served.reached("closing");
    work.resolve("ready");
    const r = (await reply) as Reply;
    expect([r.status, r.body, r.headers.connection]).toEqual([200, "GET /report: ready", "close"]);
    await served.done;
  });

  it("answers a cancelled route 503 through an error middleware, never 500", async () => {
    const clock = new VirtualClock();
    const inside = deferred();
    const errors: unknown[] = [];
    const app = express();
    app.get("/slow", async (req) => {
      inside.resolve();
      await untilCancelled(requestTask(req));
    });
    // The documented middleware: a cancellation of the request's own task is not an error.
    app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
      if (isCancellation(err) && requestTask(req).signal.aborted) {
        if (!res.headersSent) res.status(503).set("connection", "close").send("shutting down\n");
        return;
      }
      errors.push(err);
      next(err);
    });
    await expectCancelledRouteAnswers503(http.createServer(app), clock, inside.promise);
    expect(errors).toEqual([]);
  });
});

describe("serve with Fastify", () => {
  it("serves a Fastify app's routes as tasks and drains one in flight, then app.close() runs its hooks", async () => {
    const app = Fastify();
    const release = deferred();
    const inside = deferred();
    const closed: string[] = [];
    app.addHook("onClose", async () => void closed.push("onClose"));
    app.get("/slow", async (request) => {
      const task = requestTask(request.raw);
      inside.resolve();
      await release.promise;
      return { task: task.name };
    });
    await app.ready();
    const served = await startServing({}, { server: app.server });
    const reply = get(`${served.url}/slow?x=1`);
    await inside.promise;
    served.shutdown();
    await served.reached("closing");
    release.resolve();
    const r = (await reply) as Reply;
    expect([r.status, JSON.parse(r.body), r.headers.connection]).toEqual([200, { task: "GET /slow?x=1" }, "close"]);
    await served.done;
    await app.close();
    expect(closed).toEqual(["onClose"]);
  });

  it("answers a cancelled route 503 through setErrorHandler, never 500", async () => {
    const clock = new VirtualClock();
    const app = Fastify();
    const inside = deferred();
    const errors: unknown[] = [];
    app.setErrorHandler(async (err, request, reply) => {
      if (isCancellation(err) && requestTask(request.raw).signal.aborted) {
        return reply.code(503).header("connection", "close").send("shutting down\n");
      }
      errors.push(err);
      throw err;
    });
    app.get("/slow", async (request) => {
      inside.resolve();
      await untilCancelled(requestTask(request.raw));
    });
    await app.ready();
    await expectCancelledRouteAnswers503(app.server, clock, inside.promise);
    expect(errors).toEqual([]);
    await app.close();
  });
});
