// Scenario 6: minified + gzipped size of the realistic slice (bench/bundle/*.mjs) per
// implementation, plus all of @nursery/core alone. Deterministic, so it is measured once.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const dir = fileURLToPath(new URL("../bundle/", import.meta.url));

/** Rows of the bundle table: `impl` is the column the ratio is taken against. */
export const BUNDLE_ROWS = [
  { row: "nursery", impl: "nursery", entry: "nursery.mjs" },
  { row: "nursery (@nursery/fetch)", impl: "nursery", entry: "nursery-fetch.mjs", optional: true },
  { row: "effection", impl: "effection", entry: "effection.mjs" },
  { row: "effect", impl: "effect", entry: "effect.mjs" },
  { row: "effect (barrel import)", impl: "effect", entry: "effect-barrel.mjs" },
  { row: "floor", impl: "floor", entry: "floor.mjs" },
  { row: "core alone", impl: "nursery", entry: "core.mjs" },
  // What a library that embeds nurseries but never calls the process entry ships: every export
  // except run(). Built from core's actual export list, so a new export is counted here too.
  { row: "core without run()", impl: "nursery", without: ["run"] },
  // What a page ships: every export under the browser condition (in-process channels, run() the
  // throwing stand-in), --platform=browser, nothing external.
  { row: "core in a browser", impl: "nursery", entry: "core.mjs", browser: true },
];

/** An entry re-exporting every public export of @nursery/core except the names in `without`. */
async function coreEntryWithout(without) {
  const core = await import("@nursery/core");
  const names = Object.keys(core).filter((name) => !without.includes(name));
  return `export { ${names.join(", ")} } from "@nursery/core";\n`;
}

/**
 * Bundles one entry (a file in bench/bundle/, or `{ contents }`) the way an application bundler
 * would: ESM, minified, platform-neutral with the `node` condition (so @nursery/core's real run()
 * and Node's diagnostics_channel, as a server bundle gets them) and Node builtins external; or,
 * with `browser`, for the browser with nothing external.
 */
export async function bundleSize(entry, { browser = false } = {}) {
  const source = typeof entry === "string" ? { entryPoints: [`${dir}${entry}`] } : { stdin: { ...entry, resolveDir: dir, loader: "js" } };
  const result = await esbuild.build({
    ...source,
    bundle: true,
    minify: true,
    format: "esm",
    platform: browser ? "browser" : "neutral",
    mainFields: ["module", "main"],
    conditions: browser ? [] : ["node"],
    target: "es2022",
    external: browser ? [] : ["node:*"],
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  return { minBytes: code.byteLength, gzBytes: gzipSync(code, { level: 9 }).byteLength };
}

/** Measures every row; a row whose bundle fails to build carries the error instead of figures. */
export async function measureBundles() {
  const rows = [];
  for (const spec of BUNDLE_ROWS) {
    if (spec.optional && !existsSync(`${dir}${spec.entry}`)) continue;
    try {
      const entry = spec.without === undefined ? spec.entry : { contents: await coreEntryWithout(spec.without) };
      rows.push({ ...spec, result: await bundleSize(entry, { browser: spec.browser === true }) });
    } catch (error) {
      rows.push({ ...spec, error: String(error?.message ?? error).split("\n").slice(0, 6).join("\n") });
    }
  }
  return rows;
}
