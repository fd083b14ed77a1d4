import { describe, expect, it, jest } from "@jest/globals";
import { ProcessError, STDERR_EXCERPT_BYTES, exec } from "@nursery/process";
import { isCancellation } from "@nursery/core";

describe("ProcessError", () => {
  it("keeps only the end of a long stderr, in the error and in its message", async () => {
    const owner = new AbortController();
    const script = "i=0; while [ $i -lt 2000 ]; do echo \"line $i\" >&2; i=$((i+1)); done; echo LAST >&2; exit 1";
    const err = (await exec(owner, "sh", ["-c", script]).catch((e: unknown) => e)) as ProcessError;
    expect(Buffer.byteLength(err.stderr)).toBeLessThanOrEqual(STDERR_EXCERPT_BYTES);
    expect(err.stderr.endsWith("line 1999\nLAST\n")).toBe(true);
    expect(err.message.length).toBeLessThan(1200);
    expect(err.message.endsWith("line 1999\nLAST")).toBe(true);
  });

  it("quotes the command line as a shell would read it", () => {
    const err = new ProcessError({
      code: "ERR_PROCESS_EXIT",
      command: "git",
      args: ["commit", "-m", "it's done", ""],
      exitCode: 1,
      signal: null,
      stderr: "",
      pid: 1,
    });
    expect(err.message).toBe("`git commit -m 'it'\\''s done' ''` exited with code 1");
  });

  it("is recognised by instanceof across two copies of the package", () => {
    let Other: typeof ProcessError | undefined;
    jest.isolateModules(() => {
      Other = (require("../src/process-error.js") as { ProcessError: typeof ProcessError }).ProcessError;
    });
    expect(Other).not.toBe(ProcessError);
    const fromOtherCopy = new (Other as typeof ProcessError)({
      code: "ERR_PROCESS_SPAWN",
      command: "x",
      args: [],
      exitCode: null,
      signal: null,
      stderr: "",
      pid: undefined,
    });
    expect(fromOtherCopy).toBeInstanceOf(ProcessError);
    expect(new Error("plain")).not.toBeInstanceOf(ProcessError);
  });

  it("is not a cancellation", () => {
    const err = new ProcessError({ code: "ERR_PROCESS_EXIT", command: "x", args: [], exitCode: 1, signal: null, stderr: "", pid: 1 });
    expect(isCancellation(err)).toBe(false);
  });
});
