// Renders the live task tree of a nursery: each nursery, its tasks (name, state, where defined),
// and the nurseries those tasks opened with their signal. run() prints it on a forced exit and on
// a shutdown timeout; `dumpTree()` is the same renderer for users.
import type { Straggler } from "./errors.js";
import type { TreeNode } from "./internal/signal-owner.js";
import { TaskImpl } from "./internal/task-impl.js";
import type { Nursery } from "./nursery.js";
import { checkFunction, checkOptions, invalid } from "./internal/validate.js";
import { siteFunction } from "./internal/site.js";

/** Options of {@link dumpTree}. */
export interface TreeOptions {
  /** Maps a task's function to where it is defined (`file:line:col`); omitted when it returns undefined. */
  locate?: (fn: Function) => string | undefined;
}

/** `850 ms`, `4.2 s`, `3 min 05 s`, `2 h 07 min`. */
export function formatAge(ms: number): string {
  if (!(ms >= 0)) return "0 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  const min = Math.floor(s / 60);
  return s < 3600 ? `${min} min ${twoDigits(s % 60)} s` : `${Math.floor(min / 60)} h ${twoDigits(min % 60)} min`;
}

function twoDigits(n: number): string {
  return String(n).padStart(2, "0");
}

/** A tree as text, and its running tasks as a flat list (what a ShutdownTimeoutError lists). */
interface Rendering {
  readonly lines: string[];
  readonly tasks: Straggler[];
}

function nurseryLine(node: TreeNode): string {
  return `${node.name} (nursery${node.cancelRequested ? ", cancelling" : ""})`;
}

/** Renders what runs under `node`: its body's nurseries, then its tasks, each followed by its nurseries. */
function walk(node: TreeNode, prefix: string, path: string, out: Rendering, locate: TreeOptions["locate"]): void {
  const entries: Array<TreeNode | TaskImpl<unknown>> = [...(node.body.nested ?? []), ...(node.children as TaskImpl<unknown>[])];
  entries.forEach((entry, i) => {
    const last = i === entries.length - 1;
    const branch = prefix + (last ? "└─ " : "├─ ");
    const next = prefix + (last ? "   " : "│  ");
    const entryPath = `${path}/${entry.name}`;
    if (entry instanceof TaskImpl) {
      const target = siteFunction(entry.fn);
      const site = target === undefined ? undefined : locate?.(target);
      const state = entry.cancelReason !== undefined && entry.state === "running" ? "cancelling" : entry.state;
      const age = formatAge(entry.nursery.clock.now() - entry.born);
      out.lines.push(`${branch}${entry.name} [${state}, ${age}]${site === undefined ? "" : ` at ${site}`}`);
      out.tasks.push({ path: entryPath, site });
      // A task's nurseries are drawn as its last children, each with "└─ ".
      for (const nested of entry.nested ?? []) {
        out.lines.push(next + "└─ " + nurseryLine(nested));
        walk(nested, next + "   ", `${entryPath}/${nested.name}`, out, locate);
      }
    } else {
      out.lines.push(branch + nurseryLine(entry));
      walk(entry, next, entryPath, out, locate);
    }
  });
}

/** The tree under `root` and its running tasks, depth-first; `run()` prints the one and lists the other. */
export function render(root: Nursery, locate?: TreeOptions["locate"]): Rendering {
  const out: Rendering = { lines: [nurseryLine(root as unknown as TreeNode)], tasks: [] };
  walk(root as unknown as TreeNode, "", root.name, out, locate);
  return out;
}

/**
 * Renders the live tree under a nursery as text, one line per nursery and task (name, state, age,
 * and where its function is defined when `locate` is given), for logs and
 * diagnostics ("what is still running?").
 *
 * @example
 * ```ts
 * console.error(dumpTree(n));
 * // crawler (nursery, cancelling)
 * // ├─ worker-1 [running, 4.2 s]
 * // └─ worker-2 [cancelling, 850 ms]
 * ```
 */
export function dumpTree(root: Nursery, options?: TreeOptions): string {
  const node = root as unknown as Partial<TreeNode> | null;
  if (typeof node !== "object" || node === null || typeof node.body !== "object" || !Array.isArray(node.children)) {
    throw invalid("root", "a nursery", root);
  }
  checkOptions("options", options);
  if (options?.locate !== undefined) checkFunction("locate", options.locate);
  return render(root, options?.locate).lines.join("\n");
}
