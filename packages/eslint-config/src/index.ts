// @nursery/eslint-config: the lint rules that catch what nursery's types cannot, as one flat config
// for typescript-eslint's type-aware linting, and the plugin that carries the one rule of its own.
// Which rules and why: README.md and docs/design/decisions/lint-config.md.
import type { ESLint, Linter } from "eslint";
import tseslint from "typescript-eslint";
import { noTaskSpread } from "./no-task-spread.js";

/** The plugin `@nursery`: `@nursery/no-task-spread`. The recommended config registers it. */
export const plugin: ESLint.Plugin = {
  meta: { name: "@nursery/eslint-config" },
  rules: { "no-task-spread": noTaskSpread },
};

/**
 * The recommended config: typescript-eslint's parser with `projectService: true` on TypeScript
 * files, and the rules that catch nursery's silent mistakes. Spread it into `eslint.config.js` and
 * give `parserOptions.tsconfigRootDir` (usually `import.meta.dirname`) in a block of your own.
 *
 * @example
 * ```js
 * import nursery from "@nursery/eslint-config";
 *
 * export default [
 *   ...nursery.configs.recommended,
 *   { languageOptions: { parserOptions: { tsconfigRootDir: import.meta.dirname } } },
 * ];
 * ```
 */
export const recommended: Linter.Config[] = [
  {
    name: "@nursery/eslint-config/recommended",
    files: ["**/*.ts", "**/*.tsx", "**/*.mts", "**/*.cts"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true },
    },
    plugins: {
      "@typescript-eslint": tseslint.plugin,
      "@nursery": plugin,
    },
    rules: {
      // `sleep(task, ms);` without `await`: the task goes on at once and a rejection is unhandled.
      // Floating `n.spawn(...)` stays allowed: a Task is a thenable, not a Promise, and the nursery
      // awaits it (the rule's default `checkThenables: false`).
      "@typescript-eslint/no-floating-promises": "error",
      // An async function where a callback's result is ignored (`emitter.on("x", async () => ...)`)
      // rejects outside every nursery; `if (task)` on a thenable is always true.
      "@typescript-eslint/no-misused-promises": "error",
      // `{ ...task }` and `Object.assign({}, task)`: the copy has no signal and cannot be cancelled.
      "@nursery/no-task-spread": "error",
      // The 0.x spellings core keeps for compatibility (`moveOnAfter(ms, fn, { signal })`, ...).
      "@typescript-eslint/no-deprecated": "warn",
    },
  },
];

/** The default export: the plugin with its configs, the shape ESLint's plugins share. */
const nurseryPlugin: ESLint.Plugin & { configs: { recommended: Linter.Config[] } } = {
  ...plugin,
  configs: { recommended },
};

export default nurseryPlugin;
