// The recommended config as a user gets it, through ESLint's own API: each mistake in
// fixtures/bad.ts is reported by the rule meant for it and nothing else fires, fixtures/good.ts is
// clean, and every rule the config enables is seen firing (so removing one fails here). Type-aware
// linting is slow: the two fixtures are linted once, in beforeAll.
import { beforeAll, describe, expect, it } from "@jest/globals";
import { ESLint, type Linter } from "eslint";
import { join } from "node:path";
import nursery, { recommended } from "../src/index.js";

const fixtures = join(__dirname, "fixtures");

/** [line, rule] of every report expected in bad.ts, in ESLint's order (line, then column). */
const BAD: [number, string][] = [
  [8, "@typescript-eslint/no-floating-promises"],
  [9, "@nursery/no-task-spread"],
  [10, "@nursery/no-task-spread"],
  [11, "@typescript-eslint/no-misused-promises"],
  [12, "@typescript-eslint/no-deprecated"],
  [12, "@typescript-eslint/no-deprecated"],
  [15, "@typescript-eslint/no-misused-promises"],
  // Spreading a Task, a thenable: no-misused-promises' `checksSpreads` sees it too.
  [16, "@typescript-eslint/no-misused-promises"],
  [16, "@nursery/no-task-spread"],
  [18, "@nursery/no-task-spread"],
  [21, "@nursery/no-task-spread"],
  [33, "@nursery/no-task-spread"],
  [34, "@nursery/no-task-spread"],
  [35, "@nursery/no-task-spread"],
];

const results = new Map<string, ESLint.LintResult>();

function messages(file: string): Linter.LintMessage[] {
  const result = results.get(file);
  if (result === undefined) throw new Error(`${file} was not linted`);
  return result.messages;
}

beforeAll(async () => {
  const eslint = new ESLint({
    cwd: fixtures,
    overrideConfigFile: true,
    overrideConfig: [...nursery.configs.recommended, { languageOptions: { parserOptions: { tsconfigRootDir: fixtures } } }],
  });
  for (const result of await eslint.lintFiles(["bad.ts", "good.ts"])) {
    results.set(result.filePath.slice(fixtures.length + 1), result);
  }
}, 120_000);

describe("recommended", () => {
  it("reports each mistake in bad.ts by the rule meant for it, and nothing else", () => {
    expect(messages("bad.ts").map((m) => [m.line, m.ruleId])).toEqual(BAD);
  });

  it("reports nothing in good.ts (a floating spawn, `void`, named members, a user's own Task)", () => {
    expect(messages("good.ts").map((m) => `${m.line}: ${m.ruleId}: ${m.message}`)).toEqual([]);
  });

  it("sees every rule it enables fire on bad.ts", () => {
    const enabled = Object.keys(recommended.flatMap((c) => Object.entries(c.rules ?? {})).reduce(
      (all, [rule, level]) => (level === "off" ? all : { ...all, [rule]: level }),
      {} as Record<string, unknown>,
    ));
    const fired = new Set(messages("bad.ts").map((m) => m.ruleId));
    expect(enabled.sort()).toEqual([...fired].sort());
  });

  it("is also the default export's configs.recommended, with the plugin's rule", () => {
    expect(nursery.configs.recommended).toBe(recommended);
    expect(Object.keys(nursery.rules ?? {})).toEqual(["no-task-spread"]);
  });
});

describe("no-task-spread", () => {
  it("says how to keep the cancellation, naming the type copied", () => {
    const spread = messages("bad.ts").find((m) => m.line === 9);
    expect(spread?.message).toMatch(/^Copying a TaskContext keeps none of its cancellation: .* Pass the TaskContext itself/);
    const scope = messages("bad.ts").find((m) => m.line === 21);
    expect(scope?.message).toMatch(/^Copying a ScopeContext makes a snapshot: its `state` stays "running"/);
  });

  it("refuses to run without type information, saying what to configure", async () => {
    const eslint = new ESLint({
      overrideConfigFile: true,
      overrideConfig: [{ plugins: { "@nursery": nursery }, rules: { "@nursery/no-task-spread": "error" } }],
    });
    await expect(eslint.lintText("export const copy = { ...globalThis };")).rejects.toThrow(
      /@nursery\/no-task-spread needs type information: .*projectService: true/,
    );
  });
});
