// The buffering, decoding and tail of one output, driven through a PassThrough stream so that
// chunk boundaries are exactly what the test writes (a real pipe may merge or split them).
import { describe, expect, it } from "@jest/globals";
import { PassThrough } from "node:stream";
import { OutputIterator, OutputPipe } from "../src/internal/output-pipe.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function pipe(options: { limit?: number; tail?: number } = {}): { stream: PassThrough; out: OutputPipe } {
  const stream = new PassThrough();
  const out = new OutputPipe("stdout", "pipe", stream, { limit: options.limit ?? Infinity, tail: options.tail ?? 0 });
  return { stream, out };
}

describe("OutputPipe", () => {
  it("decodes a UTF-8 character split across two chunks", async () => {
    const { stream, out } = pipe();
    const owner = new AbortController().signal;
    const lines = new OutputIterator<string>(out, "lines", owner, undefined);
    const first = lines.next();
    stream.write(Buffer.from([0x63, 0x61, 0x66, 0xc3])); // "caf" + first byte of "é"
    await turn();
    stream.end(Buffer.from([0xa9, 0x0a])); // second byte of "é" + "\n"
    await expect(first).resolves.toEqual({ done: false, value: "café" });
    await expect(lines.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it("pauses the stream once unread output reaches the limit and resumes it when read", async () => {
    const { stream, out } = pipe({ limit: 8 });
    stream.write("12345");
    await turn();
    expect(stream.isPaused()).toBe(false);
    stream.write("67890");
    await turn();
    expect(stream.isPaused()).toBe(true);
    expect((await out.read())?.toString()).toBe("12345");
    expect(stream.isPaused()).toBe(false);
  });

  it("lifts the limit on release(), so a finished child's last output is read", async () => {
    const { stream, out } = pipe({ limit: 4 });
    stream.write("12345");
    await turn();
    expect(stream.isPaused()).toBe(true);
    out.release();
    expect(stream.isPaused()).toBe(false);
  });

  it("rejects a pending read and every later read with the abort reason", async () => {
    const { out } = pipe();
    const reason = new Error("cancelled");
    const pending = out.read();
    out.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await expect(out.read()).rejects.toBe(reason);
  });

  it("keeps the last `tail` bytes and drops a character cut in half at the start", async () => {
    const { stream, out } = pipe({ tail: 4 });
    stream.write("abc");
    stream.write("dé"); // 6 bytes so far; the last 4 are "c", "d" and the two bytes of "é"
    await turn();
    expect(out.tail()).toBe("cdé");
    stream.write("€"); // the last 4 bytes are the second byte of "é" (dropped) and the three of "€"
    await turn();
    expect(out.tail()).toBe("€");
  });

  it("hands undelivered lines and text to a chunk reader after a line iteration stopped", async () => {
    const { stream, out } = pipe();
    const owner = new AbortController().signal;
    stream.end("a\nb\nc");
    const lines = new OutputIterator<string>(out, "lines", owner, undefined);
    await expect(lines.next()).resolves.toEqual({ done: false, value: "a" });
    await lines.return();
    const chunks = new OutputIterator<Buffer>(out, "chunks", owner, undefined);
    const rest: string[] = [];
    for await (const chunk of chunks) rest.push(chunk.toString());
    expect(rest.join("")).toBe("b\nc");
  });

  it("ends a pending read as done when the iterator's return() is called", async () => {
    const { out } = pipe();
    const owner = new AbortController().signal;
    const lines = new OutputIterator<string>(out, "lines", owner, undefined);
    const pending = lines.next();
    await lines.return();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });
});
