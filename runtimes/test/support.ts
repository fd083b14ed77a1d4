// Shared by the runtime tests: a loopback HTTP server that logs what it sees of each connection,
// and esbuild bundles of the neutral packages for a target runtime.
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import * as esbuild from "esbuild";

export const runtimesDir = join(__dirname, "..") + "/";

type Route = (req: IncomingMessage, res: ServerResponse, log: (line: string) => void) => void;

/** A loopback server on 127.0.0.1, port 0. `lines` is its log; `waitForLine` waits for a match. */
export class LoopbackServer {
  readonly lines: string[] = [];
  readonly #events = new EventEmitter();
  readonly #server: Server;
  origin = "";

  constructor(routes: Record<string, Route>) {
    this.#server = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const route = routes[path] ?? LoopbackServer.common[path];
      if (route === undefined) {
        res.writeHead(404).end();
        return;
      }
      route(req, res, (line) => this.log(`${req.method} ${path}: ${line}`));
    });
  }

  /** Routes every runtime test serves: GET /text answers "hello" (the neutral suite's fetch checks). */
  static readonly common: Record<string, Route> = {
    "/text": (_req, res) => res.writeHead(200, { "content-type": "text/plain", "access-control-allow-origin": "*" }).end("hello"),
  };

  log(line: string): void {
    this.lines.push(line);
    this.#events.emit("line", line);
  }

  /**
   * Resolves with the first log line (already written or to come) that matches `pattern`. Rejects,
   * showing the log, after `boundMs`: a bound on a hung test, not a timing oracle.
   */
  waitForLine(pattern: RegExp, boundMs = 15_000): Promise<string> {
    const found = this.lines.find((line) => pattern.test(line));
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#events.off("line", onLine);
        reject(new Error(`no server log line matched ${pattern} within ${boundMs} ms; log:\n${this.lines.join("\n")}`));
      }, boundMs);
      const onLine = (line: string): void => {
        if (!pattern.test(line)) return;
        this.#events.off("line", onLine);
        clearTimeout(timer);
        resolve(line);
      };
      this.#events.on("line", onLine);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A request the server never answers; logs when it arrives and when the client closes its socket. */
export const hangingRoute: Route = (req, res, log) => {
  log("request received");
  req.socket.once("close", () => log(`client closed the socket before the response (response sent: ${res.headersSent})`));
};

/**
 * An endless body: one line every 10 ms (pacing, not a synchronisation oracle) until the client
 * closes the socket; then the writer stops and logs how many chunks it wrote.
 */
export const endlessRoute: Route = (req, res, log) => {
  let written = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const write = (): void => {
    written += 1;
    res.write(`chunk ${written}\n`);
    timer = setTimeout(write, 10);
  };
  req.socket.once("close", () => {
    clearTimeout(timer);
    log(`client closed the socket after ${written} chunks; writes stopped`);
  });
  res.writeHead(200, { "content-type": "text/plain" });
  write();
};

/** Bundles `entry` (a path under runtimes/) with esbuild for `platform`, no externals; returns the code. */
export async function bundle(entry: string, platform: "browser" | "node", conditions: string[] = []): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [`${runtimesDir}${entry}`],
    bundle: true,
    format: "esm",
    platform,
    conditions,
    // ES2022: `await using` is down-levelled for runtimes that lack it (Node 20).
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}
