// Docs cannot rot: every fenced block opened with ```ts runnable in docs/guide/*.md and in the
// package READMEs is type-checked against the package sources, then run as a program with node
// against the BUILT packages (run `npx tsc -b` first), in a child process, as a reader would run it.
//
// The fence's info string may add, after `runnable`:
//   exit=<code>    the exit code the program must end with (default 0);
//   signal=<SIG>   a signal sent once the program has printed its first line to stdout (for the
//                  Ctrl+C examples: the program prints "ready", the test presses Ctrl+C).
// A ```text block right after a runnable block (only blank lines between) is the program's exact
// stdout. Other ```ts blocks are fragments: they are not checked.
import { afterAll, describe, expect, it } from "@jest/globals";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { spawnFixture } from "@nursery/core/testing";

const root = join(__dirname, "..", "..");

interface Block {
  /** `docs/guide/getting-started.md:42`: where the block's fence is. */
  where: string;
  code: string;
  exit: number;
  signal: NodeJS.Signals | undefined;
  stdout: string[] | undefined;
}

const FENCE = /^```ts runnable((?: [\w.]+=\S+)*)[ \t]*\n([\s\S]*?)^```[ \t]*\n(?:[ \t]*\n)*(?:^```text[ \t]*\n([\s\S]*?)^```)?/gm;

function blocksOf(file: string): Block[] {
  const text = readFileSync(file, "utf8");
  const out: Block[] = [];
  for (const match of text.matchAll(FENCE)) {
    const attributes = new Map(
      (match[1] ?? "")
        .trim()
        .split(/\s+/)
        .filter((a) => a !== "")
        .map((a) => a.split("=", 2) as [string, string]),
    );
    for (const key of attributes.keys()) {
      if (key !== "exit" && key !== "signal") throw new Error(`${file}: unknown attribute \`${key}\` on a runnable block`);
    }
    const line = text.slice(0, match.index).split("\n").length;
    out.push({
      where: `${relative(root, file)}:${line}`,
      code: match[2] ?? "",
      exit: Number(attributes.get("exit") ?? 0),
      signal: attributes.get("signal") as NodeJS.Signals | undefined,
      stdout: match[3]?.trimEnd().split("\n"),
    });
  }
  return out;
}

function markdownFiles(): string[] {
  const guide = join(root, "docs", "guide");
  const pages = readdirSync(guide)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => join(guide, f));
  const readmes = readdirSync(join(root, "packages"))
    .sort()
    .map((name) => join(root, "packages", name, "README.md"))
    .filter((f) => existsSync(f));
  // docs/index.md is the docs site's landing page, whose first example is run like the others.
  return [join(root, "README.md"), join(root, "docs", "index.md"), ...pages, ...readmes];
}

const files = markdownFiles();
const blocks = files.flatMap(blocksOf);
const packageNames = readdirSync(join(root, "packages")).filter((name) => existsSync(join(root, "packages", name, "src", "index.ts")));

// Compiled programs live inside the repository so that `@nursery/*` resolves to the built packages
// through the workspace's node_modules; the folder is removed afterwards.
const workdir = mkdtempSync(join(__dirname, ".runnable-"));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

function fileName(block: Block, ext: string): string {
  return join(workdir, `${block.where.replace(/[^\w]+/g, "-")}.${ext}`);
}

// One program over every runnable block, type-checked against the package sources.
let checked: { program: ts.Program; sources: Map<string, Block> } | undefined;
function checkedProgram(): { program: ts.Program; sources: Map<string, Block> } {
  if (checked !== undefined) return checked;
  const sources = new Map(blocks.map((b) => [fileName(b, "ts"), b]));
  const paths: Record<string, string[]> = { "@nursery/core/testing": [join(root, "packages/core/src/testing/index.ts")] };
  for (const name of packageNames) paths[`@nursery/${name}`] = [join(root, "packages", name, "src", "index.ts")];
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
    paths,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (file) => sources.get(file)?.code ?? readFile(file);
  host.fileExists = (file) => sources.has(file) || fileExists(file);
  host.getSourceFile = (file, language, ...rest) => {
    const block = sources.get(file);
    return block === undefined ? getSourceFile(file, language, ...rest) : ts.createSourceFile(file, block.code, language);
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  checked = { program, sources };
  return checked;
}

describe("runnable examples in the docs", () => {
  it("finds the runnable first example on the landing page of the docs site", () => {
    expect(blocks.some((b) => b.where.startsWith("docs/index.md:"))).toBe(true);
  });

  it("finds the runnable blocks of every guide page", () => {
    const guidePages = files.filter((f) => f.includes(join("docs", "guide")));
    expect(guidePages.length).toBeGreaterThanOrEqual(10);
    expect(blocks.length).toBeGreaterThanOrEqual(20);
    // The pages that teach from install to Ctrl+C must each show working code.
    for (const page of ["getting-started.md", "thinking-in-nurseries.md", "cancellation-and-deadlines.md", "shutdown-and-signals.md"]) {
      expect(blocks.some((b) => b.where.startsWith(`docs/guide/${page}:`))).toBe(true);
    }
  });

  it("type-checks every runnable block against the package sources", () => {
    const { program, sources } = checkedProgram();
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || sources.has(d.file.fileName))
      .map((d) => {
        const block = d.file === undefined ? undefined : sources.get(d.file.fileName);
        const at = d.file !== undefined && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
        return `${block?.where ?? "?"} (line ${at} of the block): ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      });
    expect(diagnostics).toEqual([]);
  });

  it("uses no deprecated form of the packages' API: a reader copies what the docs show", () => {
    const { program, sources } = checkedProgram();
    const checker = program.getTypeChecker();
    const packagesDir = join(root, "packages");
    const found: string[] = [];
    for (const [file, block] of sources) {
      const source = program.getSourceFile(file);
      if (source === undefined) continue;
      const visit = (node: ts.Node): void => {
        if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
          const declaration = checker.getResolvedSignature(node)?.declaration;
          const origin = declaration?.getSourceFile().fileName ?? "";
          if (declaration !== undefined && origin.startsWith(packagesDir) && ts.getJSDocDeprecatedTag(declaration) !== undefined) {
            const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
            found.push(`${block.where} (line ${line} of the block): ${node.getText(source).split("\n")[0]}`);
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(found).toEqual([]);
  });

  for (const block of blocks) {
    const what = block.signal === undefined ? "" : ` after ${block.signal}`;
    it(`runs ${block.where}: exits ${block.exit}${what}${block.stdout === undefined ? "" : " and prints what the page shows"}`, async () => {
      const { outputText } = ts.transpileModule(block.code, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      mkdirSync(workdir, { recursive: true });
      const file = fileName(block, "mjs");
      writeFileSync(file, outputText);
      const program = spawnFixture(file, { cwd: workdir });
      try {
        if (block.signal !== undefined) {
          await program.waitForLine(/./);
          program.signal(block.signal);
        }
        const exit = await program.exited;
        const report = `${block.where}\nstdout:\n${exit.stdout}\nstderr:\n${exit.stderr}`;
        expect({ code: exit.code, report }).toEqual({ code: block.exit, report });
        if (block.stdout !== undefined) expect(exit.stdout.trimEnd().split("\n")).toEqual(block.stdout);
      } finally {
        program.kill();
      }
    });
  }
});
