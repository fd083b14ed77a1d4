// Lint: typescript-eslint's type-checked rules on package sources, plus the project's own rules.
// Every rule turned off below says why.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "bench/results/**", "coverage/**"] },
  {
    files: ["packages/*/src/**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Cancellation races are bugs that floating promises hide.
      "@typescript-eslint/no-floating-promises": "error",
      // src/index.ts is each package's table of contents: exports are listed by name.
      "no-restricted-syntax": [
        "error",
        { selector: "ExportAllDeclaration", message: "List exports by name (no `export *`)." },
      ],
      // Only run() (packages/core/src/run/) may own process signals and exit codes.
      "no-restricted-properties": [
        "error",
        { object: "process", property: "exit", message: "Only run() (core/src/run/) may call process.exit." },
        { object: "process", property: "on", message: "Only run() (core/src/run/) may add process listeners." },
        { object: "process", property: "once", message: "Only run() (core/src/run/) may add process listeners." },
        { object: "process", property: "exitCode", message: "Only run() (core/src/run/) may set process.exitCode." },
      ],
      // `Function` is the honest type of a task's function as stored for naming and location.
      "@typescript-eslint/no-unsafe-function-type": "off",
      // A nursery rejects with exactly what a task threw, Error or not: re-wrapping would lose it.
      "@typescript-eslint/prefer-promise-reject-errors": "off",
      // A `let` assigned once after a closure that reads it (a cancel hook set up before the task it
      // cancels) cannot be `const`; the default would demand the impossible.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      // Unused arguments named `_x` document a callback's shape.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The conformance suite and the CI scripts are plain ES modules run by Node, Bun and Deno.
    files: ["conformance/**/*.mjs", ".ci/**/*.mjs"],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      // What these files use from the runtimes (the WinterTC common set plus Node's, Bun's and
      // Deno's own globals), listed here rather than through a `globals` package nobody depends on.
      globals: Object.fromEntries(
        [
          "console", "process", "setTimeout", "clearTimeout", "setInterval", "clearInterval", "queueMicrotask",
          "AbortController", "AbortSignal", "ReadableStream", "WritableStream", "TransformStream",
          "Response", "Request", "fetch", "URL", "TextEncoder", "TextDecoder", "DOMException",
          "SuppressedError", "DisposableStack", "AsyncDisposableStack", "Bun", "Deno",
        ].map((name) => [name, "readonly"]),
      ),
    },
    rules: {
      // Unused arguments named `_x` document a callback's shape.
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["packages/core/src/run/**/*.ts"],
    rules: {
      // run() is the process entry: the one place allowed to touch process signals and exit codes.
      // (exit-hooks.ts adds its one 'exit' listener under a line-level exception, see there.)
      "no-restricted-properties": "off",
    },
  },
);
