// The design docs name only what exists. Every code span quoted in docs/design/ (inline
// backticks; fenced blocks are diagrams and sketches) is checked against the repository:
// - a file path (`internal/brand.ts`, `test/fixtures/`) must name a file or folder that exists;
// - a package specifier (`@nursery/core/testing`, `stream/promises`) must be one of our packages
//   and one of its `exports`, or a Node built-in module;
// - an identifier or a call (`NurseryImpl`, `#trigger()`, `task.signal`, `onCancel(task, ...)`)
//   must have each of its dotted names in the sources (packages, tests, bench, examples).
// Anything else in backticks (values, expressions, messages) is left alone. A name the sources
// cannot hold (another library's API, a platform constant, a design a record turned down) is in
// the allow-list below, with why; the list is itself checked, so it cannot outlive its use.
import { describe, expect, it } from "@jest/globals";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";

const root = join(__dirname, "..", "..");
const SKIP = new Set(["node_modules", "dist", ".git", "coverage", "reference"]);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(relative(root, path));
  }
  return out;
}

/** Names the sources cannot hold, each with the reason it may be quoted anyway. */
const ALLOWED: Record<string, string> = {
  // Other libraries' and languages' APIs, quoted for comparison.
  cancelled_caught: "trio's CancelScope attribute",
  current_time: "trio's `trio.current_time()`",
  forkScoped: "an Effect API",
  startImmediately: "an Effect fork option",
  useScope: "an effection API",
  createScope: "an effection API",
  Delay: "tokio's MissedTickBehavior",
  Skip: "tokio's MissedTickBehavior",
  "effect/Effect": "Effect's module path",
  "try/finally": "the language construct, not a path",
  // Platform names.
  allowScripts: "npm's package.json policy for dependencies' install scripts",
  promiseHooks: "Node's `v8.promiseHooks`",
  MaxListenersExceededWarning: "the warning Node prints",
  stopImmediatePropagation: "the DOM Event method",
  handleEvent: "the DOM EventListener interface's method (records of listeners that used it before)",
  kResistStopPropagation: "a Node internal symbol",
  PR_SET_PDEATHSIG: "a Linux prctl option",
  // Designs a decision record compares and turns down: they do not exist, by decision.
  openChannel: "streams-channel.md: the name `channel()` was kept",
  createFetch: "fetch-task-argument.md: rejected in favour of fetch(task, ...)",
  moveOnAt: "timers-delays-and-deadlines.md: absolute-time variants not added",
  "@nursery/core/run": "bench-bundle-size.md: run() was not moved to a subpath",
  "@nursery/timers/testing": "timers-delays-and-deadlines.md: no such entry, by decision",
  visibilitychange: "the DOM event",
  persisted: "the `pagehide` event's property",
  "#private": "the marker TypeScript's declaration emit writes for private fields",
  nextTick: "Node's `process.nextTick()`",
  _debugProcess: "Node's `process._debugProcess(pid)` (starts another process's inspector)",
  runStores: "Node's `Channel#runStores()` of diagnostics_channel",
  tracedNursery: "otel-spans.md: wrapping spawn() was turned down for the diagnostics channels",
  getBuiltinModule: "Node's `process.getBuiltinModule()` (20.16+)",
  // Designs a decision record compares and turns down (continued).
  runPage: "core-browser-root.md: no browser analogue of run()",
  "@nursery/streams/node": "core-platform-neutral.md: a subpath was turned down for conditional imports",
  // Words of the docs' own vocabulary.
  "src/internal/host/NAME.node.ts": "the pattern of the Node variants (NAME stands for a module)",
  "NAME.neutral.ts": "the pattern of the neutral variants (NAME stands for a module)",
  shuttingDown: "a state of the run() diagram in lifecycle.md",
};

const files = walk(root);
// This file is not a source: it quotes the names it looks for.
const self = relative(root, __filename);
const sourceFiles = files.filter((f) => /\.(ts|mjs|js|cjs|json)$/.test(f) && !f.startsWith("docs/") && f !== self);
const words = new Set<string>();
for (const file of sourceFiles) {
  for (const [word] of readFileSync(join(root, file), "utf8").matchAll(/#?[A-Za-z_$][\w$]*/g)) {
    words.add(word);
    if (word.startsWith("#")) words.add(word.slice(1)); // `cancelNext` may name `#cancelNext`
  }
}

function packageExports(name: string): Set<string> | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(root, "packages", name, "package.json"), "utf8")) as { exports?: Record<string, unknown> };
    return new Set(Object.keys(manifest.exports ?? { ".": null }));
  } catch {
    return undefined;
  }
}

const IDENTIFIER = /^(#?[A-Za-z_$][\w$]*(?:\.#?[A-Za-z_$][\w$]*)*)(?:<[^>]*>)?(?:\(.*\))?(?:\[\])?$/;
const PATH = /^[\w.-]+(?:\/[\w.-]*)+$|^[\w.-]+\.(?:ts|js|mjs|md|json)$/;

/** What in `span` does not exist, or an empty list. */
function missing(span: string): string[] {
  if (Object.hasOwn(ALLOWED, span)) return [];
  const scoped = span.match(/^@nursery\/([a-z-]+)(\/[\w./-]+)?$/);
  if (scoped !== null) {
    const exports = packageExports(scoped[1] as string);
    return exports?.has(`.${scoped[2] ?? ""}`) ? [] : [span];
  }
  // A file suffix (`.d.ts`, `.node.ts`) names a kind of file, not a file.
  if (/^(\.[a-z]+)+$/.test(span)) return [];
  // An `exports` key (`./testing`) must be a key of one of our packages.
  if (/^\.\/[\w-]+$/.test(span)) {
    const packages = readdirSync(join(root, "packages"));
    return packages.some((name) => packageExports(name)?.has(span) === true) ? [] : [span];
  }
  if (PATH.test(span)) {
    if (builtinModules.includes(span)) return [];
    // Built modules are named after their sources: `nursery.js` is `nursery.ts` compiled.
    const exists = (path: string): boolean =>
      files.some((f) => f === path || f.endsWith(`/${path}`) || f.startsWith(`${path}/`) || f.includes(`/${path}/`));
    const path = span.replace(/\/$/, "");
    const source = path.replace(/^dist\//, "src/").replace(/\.js$/, ".ts");
    const found = exists(path) || (path.endsWith(".js") && exists(source));
    return found ? [] : [span];
  }
  const id = span.match(IDENTIFIER);
  if (id === null) return [];
  return (id[1] as string).split(".").filter((name) => !words.has(name) && !Object.hasOwn(ALLOWED, name));
}

const docs = files.filter((f) => f.startsWith("docs/design/") && f.endsWith(".md"));

function spansOf(doc: string): string[] {
  const text = readFileSync(join(root, doc), "utf8").replace(/```[\s\S]*?```/g, "");
  return [...text.matchAll(/`([^`\n]+)`/g)].map((m) => (m[1] as string).trim());
}

describe("docs/design", () => {
  it.each(docs)("%s names only files, packages and identifiers that exist", (doc) => {
    const absent = spansOf(doc).flatMap((span) => missing(span).map((name) => (name === span ? name : `${name} (in \`${span}\`)`)));
    expect(absent).toEqual([]);
  });

  it("checks the kinds of names it claims to: it finds a made-up identifier, path and subpath", () => {
    expect(missing("listRunning()")).toEqual(["listRunning"]);
    expect(missing("nursery.noSuchMethod")).toEqual(["noSuchMethod"]);
    expect(missing("internal/no-such-file.ts")).toEqual(["internal/no-such-file.ts"]);
    expect(missing("@nursery/core/no-such-entry")).toEqual(["@nursery/core/no-such-entry"]);
    expect(missing("@nursery/core/adapter")).toEqual([]);
    expect(missing("#finishIfDone()")).toEqual([]);
    expect(missing("stream/promises")).toEqual([]);
  });

  it("allows only names that the docs still quote and the sources do not hold", () => {
    const quoted = new Set(docs.flatMap(spansOf).flatMap((span) => [span, ...(span.match(IDENTIFIER)?.[1]?.split(".") ?? [])]));
    const stale = Object.keys(ALLOWED).filter((name) => !quoted.has(name) || words.has(name));
    expect(stale).toEqual([]);
  });
});
