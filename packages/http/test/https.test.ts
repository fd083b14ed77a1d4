import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deferred, startServing } from "./support/harness.js";

// A self-signed certificate for 127.0.0.1, made for this test run by openssl (skipped without it).
let dir = "";
let credentials: { key: Buffer; cert: Buffer } | undefined;

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  if (!hasOpenssl()) return;
  dir = mkdtempSync(join(tmpdir(), "nursery-http-tls-"));
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
    { stdio: "ignore" },
  );
  credentials = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
});

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

function getTls(url: string, agent: https.Agent): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    });
    req.on("error", reject);
  });
}

const withOpenssl = hasOpenssl() ? it : it.skip;

describe("serve with node:https", () => {
  withOpenssl("serves requests as tasks over TLS and drains one in flight on shutdown", async () => {
    const creds = credentials as { key: Buffer; cert: Buffer };
    const inside = deferred();
    const release = deferred();
    const names: string[] = [];
    const served = await startServing(
      {
        handler: async (req, res, task) => {
          names.push(task.name);
          if (req.url === "/slow") {
            inside.resolve();
            await release.promise;
          }
          res.end(`tls ${req.url}`);
        },
      },
      { server: https.createServer(creds) },
    );
    const agent = new https.Agent({ keepAlive: true, ca: creds.cert });
    try {
    expect(served.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await getTls(`${served.url}/a`, agent)).toEqual({ status: 200, body: "tls /a", connection: "keep-alive" });

    const slow = getTls(`${served.url}/slow`, agent);
    await inside.promise;
    served.shutdown();
    await served.reached("closing");
    release.resolve();
    expect(await slow).toEqual({ status: 200, body: "tls /slow", connection: "close" });
    await served.done;
    expect(names).toEqual(["GET /a", "GET /slow"]);
    expect(served.phases.map(([p]) => p)).toEqual(["draining", "closing"]);
    } finally {
      agent.destroy();
    }
  });
});
