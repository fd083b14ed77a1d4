// The neutral variants of the modules package.json `imports` chooses per runtime (browsers,
// workerd); jest runs the Node ones everywhere else. Run for real in runtimes/test/.
import { describe, expect, it } from "@jest/globals";
import { Readable } from "node:stream";
import { isNodeReadable, nodeReader } from "../src/internal/host/node-readable.neutral.js";
import { pipeline } from "../src/internal/host/pipeline.neutral.js";

describe("neutral stand-ins", () => {
  it("treats nothing as a Node Readable, so iterate() reads it as an async iterable", () => {
    const stream = Readable.from(["a"]);
    expect(isNodeReadable(stream)).toBe(false);
    expect(nodeReader(stream)).toBeUndefined();
    stream.destroy();
  });

  it("pipeline() throws ERR_UNSUPPORTED_RUNTIME at once, pointing to web streams' own piping", () => {
    expect(() => pipeline([1], async () => undefined)).toThrow(
      expect.objectContaining({
        code: "ERR_UNSUPPORTED_RUNTIME",
        message: expect.stringMatching(/^pipeline\(\) needs node:stream .*pipeThrough\(\) and pipeTo\(\{ signal \}\)/),
      }),
    );
  });
});
