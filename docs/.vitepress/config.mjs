// The docs site: docs/ as it is (guide, design, decisions, the generated reference), built by
// VitePress (docs/design/decisions/docs-site.md says why). `npm run docs:build` builds it into
// docs/.vitepress/dist; a link to a page that does not exist fails the build (VitePress's own
// dead-link check). The sidebar is read from the folders, so a new page or package appears by itself.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitepress";

const docs = fileURLToPath(new URL("..", import.meta.url));

/** A page's title: its first `# ` heading, or its file name. */
function title(file) {
  const heading = readFileSync(join(docs, file), "utf8").match(/^# (.+)$/m);
  return heading ? heading[1].replace(/`/g, "") : file.replace(/\.md$/, "");
}

function pages(folder) {
  return readdirSync(join(docs, folder))
    .filter((f) => f.endsWith(".md") && f !== "README.md" && f !== "index.md")
    .sort()
    .map((f) => ({ text: title(`${folder}/${f}`), link: `/${folder}/${f.replace(/\.md$/, "")}` }));
}

function referencePackages() {
  const dir = join(docs, "reference", "@nursery");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort()
    .map((name) => ({ text: `@nursery/${name}`, link: `/reference/@nursery/${name}/README` }));
}

export default defineConfig({
  title: "nursery",
  description: "Structured concurrency for TypeScript: nurseries, reverse-order cancellation, a Ctrl+C-safe process entry.",
  cleanUrls: true,
  lastUpdated: false,
  // Served from wherever the site is put: no public address is assumed.
  base: process.env.DOCS_BASE ?? "/",
  srcExclude: ["README.md"],
  outDir: ".vitepress/dist",
  cacheDir: ".vitepress/cache",
  // Links that leave docs/ for the repository's README, packages, examples, benchmarks and test suites are not
  // pages of the site (they need the repository's public address); every other link must resolve.
  ignoreDeadLinks: [/(^|\/)\.\.\/\.\.\/((packages|examples|bench|runtimes|conformance|scripts|\.ci)\/|README(\.md)?$)/],
  // Raw HTML off: prose such as "task-<n>" is text, not a tag for Vue to compile.
  markdown: { html: false, theme: { light: "github-light", dark: "github-dark" } },
  themeConfig: {
    search: { provider: "local" },
    nav: [
      { text: "Guide", link: "/guide/getting-started" },
      { text: "Design", link: "/design/principles" },
      { text: "Reference", link: "/reference/README" },
    ],
    sidebar: {
      "/guide/": [{ text: "Guide", items: pages("guide") }],
      "/design/": [
        { text: "Design", items: pages("design") },
        { text: "Decisions", collapsed: true, link: "/design/decisions/", items: pages("design/decisions") },
      ],
      "/reference/": [{ text: "Reference", items: [{ text: "Packages", link: "/reference/README" }, ...referencePackages()] }],
    },
    outline: "deep",
  },
});
