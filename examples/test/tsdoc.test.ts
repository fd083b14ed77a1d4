// Every export of every package's public entry points carries a TSDoc comment (the house rule
// "public API carries TSDoc"), checked with the TypeScript compiler API against the sources.
// One test per entry point, so a failure names the package and lists each undocumented export.
import { describe, expect, it } from "@jest/globals";
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

const root = join(__dirname, "..", "..");
const packagesDir = join(root, "packages");

/** Every public entry point: `src/index.ts` of each package, plus `src/<sub>/index.ts` subpath exports (core's `testing`). */
function entryPoints(): string[] {
  const out: string[] = [];
  for (const name of readdirSync(packagesDir).sort()) {
    const src = join(packagesDir, name, "src");
    if (!existsSync(join(src, "index.ts"))) continue;
    out.push(join(src, "index.ts"));
    for (const sub of readdirSync(src, { withFileTypes: true })) {
      if (sub.isDirectory() && sub.name !== "internal" && existsSync(join(src, sub.name, "index.ts"))) {
        out.push(join(src, sub.name, "index.ts"));
      }
    }
  }
  return out;
}

const files = entryPoints();
const program = ts.createProgram(files, {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  types: ["node"],
  skipLibCheck: true,
  noEmit: true,
});
const checker = program.getTypeChecker();

/** Names of the exports of `file` whose declaration has no documentation comment. */
function undocumented(file: string): { exports: number; missing: string[] } {
  const source = program.getSourceFile(file);
  if (source === undefined) throw new Error(`${file} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) return { exports: 0, missing: [] };
  const exported = checker.getExportsOfModule(moduleSymbol);
  const missing: string[] = [];
  for (const symbol of exported) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const documented =
      target.getDocumentationComment(checker).some((part) => part.text.trim() !== "") ||
      (target.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
    if (!documented) missing.push(symbol.getName());
  }
  return { exports: exported.length, missing: missing.sort() };
}

describe("TSDoc on public exports", () => {
  it("finds every package's entry point", () => {
    expect(files.map((f) => relative(root, f))).toEqual(
      expect.arrayContaining(["packages/core/src/index.ts", "packages/core/src/testing/index.ts"]),
    );
    expect(files.length).toBeGreaterThanOrEqual(7);
  });

  for (const file of files) {
    const name = relative(root, file);
    it(`documents every export of ${name}`, () => {
      const { exports, missing } = undocumented(file);
      expect(exports).toBeGreaterThan(0);
      expect(missing).toEqual([]);
    });
  }
});
