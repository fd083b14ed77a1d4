// What each public entry of core carries. The opt-in diagnostics live in @nursery/core/debug and
// the exit hooks in @nursery/core/adapter, so that a program importing only the main entry does
// not bundle them (docs/design/decisions/bench-bundle-size.md). Bundles the built dist/, as an
// application bundler would: run `npx tsc -b` first.
import { describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import * as esbuild from "esbuild";
import * as adapter from "@nursery/core/adapter";
import * as core from "@nursery/core";
import * as debug from "@nursery/core/debug";

/** The dist/ modules an ESM bundle of `names` from `specifier` contains (Node condition). */
async function bundledModules(specifier: string, names: string[]): Promise<string[]> {
  const result = await esbuild.build({
    stdin: { contents: `export { ${names.join(", ")} } from "${specifier}";`, resolveDir: join(__dirname, ".."), loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["node"],
    external: ["node:*"],
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  return Object.entries(output.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path.replace(/^.*\/dist\//, ""));
}

const OPT_IN = ["leak-warnings.js", "tree.js", "internal/locate.js", "internal/unlinked.js", "exit-hooks.js"];

describe("core's entries", () => {
  it("exports the opt-in diagnostics from @nursery/core/debug and onProcessExit from @nursery/core/adapter, not from the main entry", () => {
    expect(Object.keys(debug).sort()).toEqual(["dumpTree", "enableCurrentTask", "enableLeakWarnings"]);
    expect(typeof adapter.onProcessExit).toBe("function");
    for (const name of ["dumpTree", "enableCurrentTask", "enableLeakWarnings", "onProcessExit"]) expect(Object.keys(core)).not.toContain(name);
  });

  it("bundles none of the opt-in diagnostics for every export of the main entry but run()", async () => {
    const modules = await bundledModules("@nursery/core", Object.keys(core).filter((name) => name !== "run"));
    expect(modules).toContain("internal/nursery-impl.js");
    expect(modules.filter((module) => OPT_IN.includes(module))).toEqual([]);
  });

  it("bundles the definition-site lookup with enableCurrentTask(), which installs the unlinked-nursery warning", async () => {
    const modules = await bundledModules("@nursery/core/debug", ["enableCurrentTask"]);
    expect(modules).toEqual(expect.arrayContaining(["internal/unlinked.js", "internal/locate.js"]));
  });
});
