// The README's examples are run as written: each ```ts block is transpiled and executed against
// the package sources, with console output captured.
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");

async function runExample(source: string): Promise<unknown[][]> {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  const printed: unknown[][] = [];
  const console = { log: (...args: unknown[]) => printed.push(args), error: (...args: unknown[]) => printed.push(args) };
  // Top-level await: the module body runs inside an async function.
  const body = new Function("require", "exports", "console", `return (async () => {\n${outputText}\n})();`) as (
    r: NodeRequire,
    e: object,
    c: typeof console,
  ) => Promise<void>;
  await body(require, {}, console);
  return printed;
}

describe("README examples", () => {
  it("has the examples this test expects", () => {
    expect(blocks).toHaveLength(5);
  });

  it("iterate: the loop ends with the task and the stream is destroyed", async () => {
    expect(await runExample(blocks[0] ?? "")).toEqual([["GET /"], ["GET /about"], [true]]);
  });

  it("preventCancel: a second reader continues where take() stopped", async () => {
    expect(await runExample(blocks[1] ?? "")).toEqual([
      ["header:", "Subject: hello"],
      ["body:", "first line"],
      ["body:", "second line"],
    ]);
  });

  it("pipeline: gzip round trip through a generator stage", async () => {
    expect(await runExample(blocks[2] ?? "")).toEqual([["ONE\nTWO\nTHREE\n"]]);
  });

  it("channel: two producers, two workers, every job done once", async () => {
    expect(await runExample(blocks[3] ?? "")).toEqual([[5]]);
  });

  it("helpers: map, take and merge", async () => {
    const printed = await runExample(blocks[4] ?? "");
    expect(printed.slice(0, 6)).toEqual([[5], [5], [5], [0], [1], [2]]);
    expect(printed.slice(6).flat().sort()).toEqual(["click", "key", "key"]);
  });
});
