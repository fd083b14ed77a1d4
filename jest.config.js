// One jest project per workspace package. Tests run against the TypeScript sources (mapped below),
// compiled by ts-jest in transpile-only mode: `tsc -b` is the type-check, run as its own step.
// Fixture programs for signal tests are plain .mjs files run by node against the built dist/.
import { readdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const packages = readdirSync(new URL("./packages/", import.meta.url)).filter((name) =>
  existsSync(new URL(`./packages/${name}/test/`, import.meta.url)),
);

const packagesDir = fileURLToPath(new URL("./packages/", import.meta.url));

const moduleNameMapper = {
  // Workspace packages resolve to their sources so a test never runs stale dist/ code.
  "^@nursery/([a-z]+)$": `${packagesDir}$1/src/index.ts`,
  "^@nursery/([a-z]+)/testing$": `${packagesDir}$1/src/testing/index.ts`,
  // The one module of core that reads `import.meta` (CommonJS cannot parse it): see the file mapped to.
  "^\\./watchdog-url\\.js$": `${packagesDir}core/test/watchdog-url.jest.ts`,
  "^@nursery/([a-z]+)/adapter$": `${packagesDir}$1/src/adapter/index.ts`,
  "^@nursery/([a-z]+)/debug$": `${packagesDir}$1/src/debug/index.ts`,
  // package.json `imports` that pick a module by runtime (`#core-host/x`, `#streams-host/x`): jest
  // runs on Node, so the Node variant.
  "^#([a-z]+)-host/(.*)$": `${packagesDir}$1/src/internal/host/$2.node.ts`,
  // Sources import "./x.js" (Node ESM rule); map back to the .ts file.
  "^(\\.{1,2}/.*)\\.js$": "$1",
};

const transform = {
  "^.+\\.ts$": [
    "ts-jest",
    {
      tsconfig: {
        module: "commonjs",
        moduleResolution: "node10",
        target: "ES2022",
        lib: ["ES2023", "ESNext.Disposable"],
        verbatimModuleSyntax: false,
        esModuleInterop: true,
        isolatedModules: true,
        ignoreDeprecations: "6.0",
      },
    },
  ],
};

function project(displayName, rootDir, extra = {}) {
  return {
    displayName,
    rootDir,
    testEnvironment: "node",
    testMatch: ["<rootDir>/test/**/*.test.ts"],
    moduleFileExtensions: ["ts", "js", "mjs", "json"],
    moduleNameMapper,
    transform,
    ...extra,
  };
}

export default {
  // Generous: tests spawn real processes and servers on a shared 2-core machine. Never a timing oracle.
  testTimeout: 30_000,
  projects: [
    ...packages.map((name) => project(name, `<rootDir>/packages/${name}`)),
    ...(existsSync(new URL("./examples/test/", import.meta.url))
      ? [project("examples", "<rootDir>/examples")]
      : []),
    ...(existsSync(new URL("./bench/test/", import.meta.url)) ? [project("bench", "<rootDir>/bench")] : []),
    // Other runtimes (a real browser, workerd) and what the neutral entries may import.
    ...(existsSync(new URL("./runtimes/test/", import.meta.url)) ? [project("runtimes", "<rootDir>/runtimes")] : []),
  ],
};
