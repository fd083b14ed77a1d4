// Which runtime runs this file, and how to start another program on the same one.
import { spawn } from "node:child_process";
import process from "node:process";

/** `{ name: "node" | "bun" | "deno", version, major }` of the runtime running this code. */
export const runtime = detect();

function detect() {
  if (typeof globalThis.Deno === "object") return info("deno", globalThis.Deno.version.deno);
  if (typeof globalThis.Bun === "object") return info("bun", globalThis.Bun.version);
  return info("node", process.versions.node);
}

function info(name, version) {
  return { name, version, major: Number(version.split(".")[0]) };
}

/** argv that runs `file` on this runtime (Deno needs `run` and its permissions). */
export function programArgs(file, args = []) {
  return runtime.name === "deno" ? ["run", "-A", file, ...args] : [file, ...args];
}

/**
 * Starts `file` on this runtime with piped output. waitForLine's timeout is a safety net for a
 * broken test, not a synchronisation oracle. Register `kill` as the test's cleanup.
 */
export function spawnProgram(file, args = []) {
  const child = spawn(process.execPath, programArgs(file, args), { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters = new Set();
  const lines = [];
  const partial = { stdout: "", stderr: "" };
  const feed = (which, chunk) => {
    const parts = (partial[which] + chunk).split("\n");
    partial[which] = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters) if (line.includes(w.text)) (waiters.delete(w), w.resolve(line));
    }
  };
  child.stdout.setEncoding("utf8").on("data", (chunk) => ((stdout += chunk), feed("stdout", chunk)));
  child.stderr.setEncoding("utf8").on("data", (chunk) => ((stderr += chunk), feed("stderr", chunk)));
  let ended = false;
  const exited = new Promise((resolve) => {
    child.on("close", (code, signal) => ((ended = true), resolve({ code, signal, stdout, stderr })));
  });
  return {
    child,
    exited,
    // process.kill, not child.kill: Deno's ChildProcess.kill() sends only the first signal (it
    // then reports the child as killed), and these tests need a second one.
    signal: (sig) => process.kill(child.pid, sig),
    waitForLine(text, { timeout = 20_000 } = {}) {
      const seen = lines.find((line) => line.includes(text));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { text, resolve: (line) => (clearTimeout(timer), resolve(line)) };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no line containing ${JSON.stringify(text)} within ${timeout} ms; stdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeout);
        waiters.add(w);
        exited.then(() => {
          if (!waiters.has(w)) return;
          waiters.delete(w);
          clearTimeout(timer);
          reject(new Error(`exited before a line containing ${JSON.stringify(text)}; stdout:\n${stdout}\nstderr:\n${stderr}`));
        });
      });
    },
    kill() {
      if (!ended) process.kill(child.pid, "SIGKILL");
      return exited;
    },
  };
}
