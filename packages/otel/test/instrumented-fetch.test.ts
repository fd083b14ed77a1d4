import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SpanKind } from "@opentelemetry/api";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { nursery } from "@nursery/core";
import { idOf, parentOf, recorder } from "./support.js";

const r = recorder();
// The real instrumentation of Node's global fetch (it listens on undici's diagnostics channels).
const instrumentation = new UndiciInstrumentation();
let server: Server;
let base = "";

beforeAll(async () => {
  instrumentation.setTracerProvider(r.provider);
  instrumentation.enable();
  server = createServer((req, res) => {
    if (req.url === "/hang") return; // answers never: the client is cancelled
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  instrumentation.disable();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("an instrumented fetch inside a task", () => {
  it("is a child span of the task's span, each page's request under its own page", async () => {
    r.open();
    await nursery(
      async (n) => {
        for (const page of ["a", "b"]) {
          n.spawn(async (task) => {
            await new Promise((resolve) => setImmediate(resolve));
            const res = await fetch(`${base}/${page}`, { signal: task.signal });
            await res.text();
          }, { name: `page ${page}` });
        }
      },
      { name: "crawl" },
    );
    const clients = r.spans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(clients).toHaveLength(2);
    const parents = clients.map((s) => parentOf(s)).sort();
    expect(parents).toEqual([idOf(r.span("page a")), idOf(r.span("page b"))].sort());
  });

  it("stays under a cancelled task's span, whose span records a cancellation, not an error", async () => {
    r.open();
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          await fetch(`${base}/hang`, { signal: task.signal });
        }, { name: "page hang" });
        // Cancel once the request is on the wire (its client span has started).
        while (!r.started.some((name) => name.startsWith("GET"))) await new Promise((resolve) => setImmediate(resolve));
        n.cancel("found it");
      },
      { name: "crawl" },
    );
    const page = r.span("page hang");
    expect(page.attributes["nursery.task.state"]).toBe("cancelled");
    expect(page.status.code).toBe(0);
    // The instrumentation ends its span when undici reports the aborted request, a moment later.
    const ended = (): boolean => r.spans().some((s) => s.kind === SpanKind.CLIENT);
    for (let turns = 0; !ended() && turns < 10_000; turns++) await new Promise((resolve) => setImmediate(resolve));
    const client = r.spans().find((s) => s.kind === SpanKind.CLIENT);
    expect(client === undefined ? undefined : parentOf(client)).toBe(idOf(page));
  });
});
