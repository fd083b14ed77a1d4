// The README's examples are type-checked against the sources and run; a ```text block right after
// an example is the exact console output it must print.
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const root = join(__dirname, "..", "..", "..");
const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```(?:\s*```text\n([\s\S]*?)```)?/g)].map((match, index) => ({
  name: `example ${index + 1}`,
  code: match[1] ?? "",
  output: match[2]?.trimEnd().split("\n"),
}));

describe("README", () => {
  it("has examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  it("type-checks every example against the sources", () => {
    const dir = join(__dirname, "readme-examples");
    const files = new Map(examples.map((e, i) => [join(dir, `example-${i + 1}.ts`), e.code]));
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      types: ["node"],
      skipLibCheck: true,
      noEmit: true,
      paths: {
        "@nursery/core": [join(root, "packages/core/src/index.ts")],
        "@nursery/effection": [join(root, "packages/effection/src/index.ts")],
      },
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.readFile = (file) => files.get(file) ?? readFile(file);
    host.fileExists = (file) => files.has(file) || fileExists(file);
    host.getSourceFile = (file, language, ...rest) => {
      const text = files.get(file);
      return text === undefined ? getSourceFile(file, language, ...rest) : ts.createSourceFile(file, text, language);
    };
    const program = ts.createProgram([...files.keys()], options, host);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || files.has(d.file.fileName))
      .map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    expect(diagnostics).toEqual([]);
  });

  for (const example of examples) {
    it(`runs ${example.name} and prints what the README shows`, async () => {
      const { outputText } = ts.transpileModule(example.code, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      const printed: string[] = [];
      const log = (...args: unknown[]): void => void printed.push(args.map(String).join(" "));
      // Top-level await is kept by the transpiler; an async function body accepts it.
      const body = new Function("require", "exports", "console", `return (async () => {\n${outputText}\n})();`) as (
        req: NodeRequire,
        exp: object,
        con: { log: typeof log },
      ) => Promise<void>;
      await body(require, {}, { log });
      if (example.output !== undefined) expect(printed).toEqual(example.output);
    });
  }
});
