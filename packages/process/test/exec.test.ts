import { afterAll, afterEach, describe, expect, it, jest } from "@jest/globals";
import { exec, ProcessError } from "@nursery/process";
import { cleanup, isAlive, listeners, tempDir, waitForFile } from "./helpers.js";

const childProcess = require("node:child_process") as typeof import("node:child_process");

const tracked = cleanup();
const tmp = tempDir();
afterEach(async () => {
  jest.restoreAllMocks();
  await tracked.run();
});
afterAll(() => tmp.remove());

describe("exec", () => {
  it("resolves with stdout, stderr and exit code 0", async () => {
    const result = await exec(tracked.owner(), "sh", ["-c", "echo out; echo err >&2"]);
    expect(result).toEqual({ stdout: "out\n", stderr: "err\n", exitCode: 0, signal: null });
  });

  it("writes `input` to stdin and closes it", async () => {
    const result = await exec(tracked.owner(), "cat", [], { input: "hello\nworld" });
    expect(result.stdout).toBe("hello\nworld");
  });

  it("gives the child end-of-file on stdin when there is no input", async () => {
    // `cat` would wait forever on an inherited or open stdin.
    const result = await exec(tracked.owner(), "cat");
    expect(result.stdout).toBe("");
  });

  it("collects output larger than a pipe buffer", async () => {
    const result = await exec(tracked.owner(), "sh", ["-c", "yes abcdefghi | head -n 100000"]);
    expect(result.stdout.length).toBe(1_000_000);
  });

  it("rejects with a ProcessError carrying the exit code, command, args and stderr", async () => {
    const err = await exec(tracked.owner(), "sh", ["-c", "echo first >&2; echo oops >&2; exit 3"]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProcessError);
    expect(err).toMatchObject({
      name: "ProcessError",
      code: "ERR_PROCESS_EXIT",
      exitCode: 3,
      signal: null,
      command: "sh",
      args: ["-c", "echo first >&2; echo oops >&2; exit 3"],
      stderr: "first\noops\n",
    });
    expect((err as ProcessError).message).toBe("`sh -c 'echo first >&2; echo oops >&2; exit 3'` exited with code 3\nfirst\noops");
    expect((err as ProcessError).pid).toEqual(expect.any(Number));
  });

  it("reports a death by a signal in `signal`, with exitCode null", async () => {
    const err = await exec(tracked.owner(), "sh", ["-c", "kill -USR1 $$"]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_PROCESS_EXIT", exitCode: null, signal: "SIGUSR1" });
    expect((err as Error).message).toBe("`sh -c 'kill -USR1 $$'` was killed by SIGUSR1");
  });

  it("resolves with the exit code or signal under allowNonZero", async () => {
    const owner = tracked.owner();
    await expect(exec(owner, "sh", ["-c", "echo partial; exit 2"], { allowNonZero: true })).resolves.toEqual({
      stdout: "partial\n",
      stderr: "",
      exitCode: 2,
      signal: null,
    });
    await expect(exec(owner, "sh", ["-c", "kill -USR1 $$"], { allowNonZero: true })).resolves.toMatchObject({
      exitCode: null,
      signal: "SIGUSR1",
    });
  });

  it("rejects with ERR_PROCESS_SPAWN and the system error as cause when the command does not exist", async () => {
    const err = await exec(tracked.owner(), "nursery-no-such-command").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect(err).toMatchObject({ code: "ERR_PROCESS_SPAWN", exitCode: null, signal: null, pid: undefined });
    expect((err as Error).cause).toMatchObject({ code: "ENOENT" });
  });

  it("rejects with ERR_PROCESS_SPAWN even under allowNonZero", async () => {
    await expect(exec(tracked.owner(), "nursery-no-such-command", [], { allowNonZero: true })).rejects.toMatchObject({
      code: "ERR_PROCESS_SPAWN",
    });
  });

  it("passes cwd and env to the child", async () => {
    const result = await exec(tracked.owner(), "sh", ["-c", 'pwd; echo "$GREETING"'], {
      cwd: "/",
      env: { PATH: process.env["PATH"] ?? "", GREETING: "hi" },
    });
    expect(result.stdout).toBe("/\nhi\n");
  });

  it("rejects at once with signal.reason and spawns nothing when the signal is already aborted", async () => {
    const spawn = jest.spyOn(childProcess, "spawn");
    const owner = tracked.owner();
    const reason = new Error("already cancelled");
    owner.abort(reason);
    await expect(exec(owner, "sh", ["-c", "exit 0"])).rejects.toBe(reason);
    expect(spawn).not.toHaveBeenCalled();
    expect(listeners(owner.signal)).toBe(0);
  });

  it("rejects with the owner's signal.reason, not a ProcessError, and kills the process when cancelled", async () => {
    const owner = tracked.owner();
    const pidFile = tmp.path("exec-cancel.pid");
    const running = exec(owner, "sh", ["-c", 'echo $$ > "$1"; exec sleep 60', "sh", pidFile]);
    const pid = Number(await waitForFile(pidFile));
    expect(isAlive(pid)).toBe(true);
    const reason = new Error("stop");
    owner.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(isAlive(pid)).toBe(false);
  });

  it("adds one abort listener while running and removes it when it settles", async () => {
    const owner = tracked.owner();
    expect(listeners(owner.signal)).toBe(0);
    const ok = exec(owner, "sh", ["-c", "exit 0"]);
    const failing = exec(owner, "sh", ["-c", "exit 1"]).catch((err: unknown) => err);
    expect(listeners(owner.signal)).toBe(2);
    await ok;
    expect(await failing).toBeInstanceOf(ProcessError);
    expect(listeners(owner.signal)).toBe(0);
  });
});
