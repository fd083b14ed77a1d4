// Renders the live task tree of a nursery: each nursery, its tasks (name, state, where defined),
// and the nurseries those tasks opened with their signal. run() prints it on a forced exit and on
// a shutdown timeout; `dumpTree()` is the same renderer for users.
import type { Straggler } from "./errors.js";
import { TaskImpl, type TreeNode } from "./internal/task-impl.js";
import type { Nursery } from "./nursery.js";
import { checkFunction, checkOptions, invalid } from "./internal/validate.js";

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
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, "0")} min`;
}

function taskLine(task: TaskImpl<unknown>, locate: TreeOptions["locate"]): string {
  const state = task.cancelReason !== undefined && task.code === 0 ? "cancelling" : task.state;
  const site = locate?.(task.fn);
  const age = formatAge(task.nursery.clock.now() - task.born);
  return `${task.name} [${state}, ${age}]${site === undefined ? "" : ` at ${site}`}`;
}

function walk(node: TreeNode, prefix: string, out: string[], locate: TreeOptions["locate"]): void {
  const entries: Array<TreeNode | TaskImpl<unknown>> = [...(node.bodyOwner.inner ?? [])];
  for (const child of node.children) entries.push(child as TaskImpl<unknown>);
  entries.forEach((entry, i) => {
    const last = i === entries.length - 1;
    const branch = last ? "└─ " : "├─ ";
    const next = prefix + (last ? "   " : "│  ");
    if (entry instanceof TaskImpl) {
      out.push(prefix + branch + taskLine(entry, locate));
      for (const inner of entry.inner ?? []) {
        out.push(next + "└─ " + nurseryLine(inner));
        walk(inner, next + "   ", out, locate);
      }
    } else {
      out.push(prefix + branch + nurseryLine(entry));
      walk(entry, next, out, locate);
    }
  });
}

function nurseryLine(node: TreeNode): string {
  return `${node.name} (nursery${node.cancelRequested ? ", cancelling" : ""})`;
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
  if (typeof node !== "object" || node === null || typeof node.bodyOwner !== "object" || !Array.isArray(node.children)) {
    throw invalid("root", "a nursery", root);
  }
  checkOptions("options", options);
  if (options?.locate !== undefined) checkFunction("locate", options.locate);
  const out = [nurseryLine(root as unknown as TreeNode)];
  walk(root as unknown as TreeNode, "", out, options?.locate);
  return out.join("\n");
}

/** Every running task under `root`, depth-first, with its path of names. */
export function listRunning(root: Nursery, locate?: TreeOptions["locate"]): Straggler[] {
  const out: Straggler[] = [];
  const visit = (node: TreeNode, path: string): void => {
    for (const inner of node.bodyOwner.inner ?? []) visit(inner, `${path}/${inner.name}`);
    for (const child of node.children) {
      const task = child as TaskImpl<unknown>;
      out.push({ path: `${path}/${task.name}`, site: locate?.(task.fn) });
      for (const inner of task.inner ?? []) visit(inner, `${path}/${task.name}/${inner.name}`);
    }
  };
  visit(root as unknown as TreeNode, root.name);
  return out;
}
