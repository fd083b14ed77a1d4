// Renders the live task tree of a nursery: each nursery, its tasks (name, state, where defined),
// and the nurseries those tasks opened with their signal. run() prints it on a forced exit and on
// a shutdown timeout; `dumpTree()` is the same renderer for users. Names are shown escaped and
// cut, and the drawing is iterative and bounded in depth and lines
// (docs/design/decisions/core-shown-names.md).
import type { Straggler } from "./errors.js";
import type { TreeNode } from "./internal/signal-owner.js";
import { TaskImpl } from "./internal/task-impl.js";
import type { Nursery } from "./nursery.js";
import { SITE_MAX, pathSegment, shown } from "./internal/shown.js";
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
  return `${shown(node.name)} (nursery${node.cancelRequested ? ", cancelling" : ""})`;
}

/** Levels drawn below the root; deeper subtrees are one line saying how much they hold. */
export const MAX_DEPTH = 100;
/** Lines drawn in all; the rest are counted in one last line. */
export const MAX_LINES = 100_000;

/**
 * A list of entries still to draw under `prefix`, at `depth`. `nested`: a task's nurseries, each
 * drawn with "└─ ". `hidden`: deeper than MAX_DEPTH, counted into `summary` (the line at
 * `summary.at` of the frame that started hiding) instead of drawn.
 */
interface Frame {
  readonly entries: ReadonlyArray<TreeNode | TaskImpl<unknown>>;
  i: number;
  readonly prefix: string;
  readonly path: string;
  readonly depth: number;
  readonly nested: boolean;
  readonly summary: Summary | undefined;
}

interface Summary {
  readonly at: number;
  readonly prefix: string;
  tasks: number;
  nurseries: number;
}

function entriesOf(node: TreeNode): Array<TreeNode | TaskImpl<unknown>> {
  const nested = node.body.nested;
  const children = node.children as TaskImpl<unknown>[];
  return nested === undefined || nested.size === 0 ? children : [...nested, ...children];
}

function summaryLine(s: Summary): string {
  const what = [s.tasks > 0 ? `${s.tasks} task${s.tasks === 1 ? "" : "s"}` : "", s.nurseries > 0 ? `${s.nurseries} nurser${s.nurseries === 1 ? "y" : "ies"}` : ""];
  return `${s.prefix}└─ … ${what.filter((w) => w !== "").join(" and ")} deeper than ${MAX_DEPTH} levels, not shown`;
}

/**
 * Renders what runs under `root`, depth first: a node's body's nurseries, then its tasks, each
 * followed by its nurseries. Iterative (a 100 000-deep tree must not overflow the stack), at most
 * MAX_DEPTH levels and MAX_LINES lines drawn; every running task is still listed in `tasks`.
 */
function walk(root: TreeNode, out: Rendering, locate: TreeOptions["locate"], listTasks: boolean): void {
  const stack: Frame[] = [{ entries: entriesOf(root), i: 0, prefix: "", path: pathSegment(root.name), depth: 1, nested: false, summary: undefined }];
  let omitted = 0;
  const draw = (line: string): void => {
    if (out.lines.length < MAX_LINES) out.lines.push(line);
    else omitted++;
  };
  const push = (entries: Frame["entries"], prefix: string, path: string, parent: Frame, nested: boolean): void => {
    if (entries.length === 0) return;
    const depth = parent.depth + 1;
    let summary = parent.summary;
    if (summary === undefined && depth > MAX_DEPTH) {
      summary = { at: out.lines.length, prefix, tasks: 0, nurseries: 0 };
      draw("");
    }
    stack.push({ entries, i: 0, prefix, path, depth, nested, summary });
  };
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (frame.i === frame.entries.length) {
      stack.pop();
      const s = frame.summary;
      if (s !== undefined && (stack.length === 0 || stack[stack.length - 1]?.summary !== s) && s.at < out.lines.length) {
        out.lines[s.at] = summaryLine(s);
      }
      continue;
    }
    const entry = frame.entries[frame.i++] as TreeNode | TaskImpl<unknown>;
    const last = frame.nested || frame.i === frame.entries.length;
    const branch = frame.prefix + (last ? "└─ " : "├─ ");
    const next = frame.prefix + (last ? "   " : "│  ");
    const entryPath = `${frame.path}/${pathSegment(entry.name)}`;
    if (entry instanceof TaskImpl) {
      const drawn = frame.summary === undefined && out.lines.length < MAX_LINES;
      // A site costs an inspector round trip per distinct function: only for what is used.
      // An adapter's wrapper may name its user's function, or no site (adapter kit: locateAs).
      const target = drawn || listTasks ? siteFunction(entry.fn) : undefined;
      const site = target === undefined ? undefined : locate?.(target);
      if (listTasks) out.tasks.push({ path: entryPath, site });
      if (frame.summary !== undefined) frame.summary.tasks++;
      else {
        const state = entry.cancelReason !== undefined && entry.state === "running" ? "cancelling" : entry.state;
        const age = formatAge(entry.nursery.clock.now() - entry.born);
        draw(`${branch}${shown(entry.name)} [${state}, ${age}]${site === undefined ? "" : ` at ${shown(site, SITE_MAX)}`}`);
      }
      // A task's nurseries are drawn as its last children, each with "└─ ".
      const nested = entry.nested;
      if (nested !== undefined && nested.size > 0) push([...nested], next, entryPath, frame, true);
    } else {
      if (frame.summary !== undefined) frame.summary.nurseries++;
      else draw(branch + nurseryLine(entry));
      push(entriesOf(entry), next, entryPath, frame, false);
    }
  }
  if (omitted > 0) out.lines.push(`… ${omitted} more line${omitted === 1 ? "" : "s"} not shown (at most ${MAX_LINES})`);
}

/**
 * The tree under `root` and, with `listTasks`, its running tasks, depth-first; `run()` prints the
 * one and lists the other. `locate` is asked once per distinct function, not per task.
 */
export function render(root: Nursery, locate?: TreeOptions["locate"], listTasks = false): Rendering {
  const node = root as unknown as TreeNode;
  const out: Rendering = { lines: [nurseryLine(node)], tasks: [] };
  walk(node, out, locate === undefined ? undefined : cached(locate), listTasks);
  return out;
}

function cached(locate: (fn: Function) => string | undefined): (fn: Function) => string | undefined {
  const sites = new Map<Function, string | undefined>();
  return (fn) => {
    if (sites.has(fn)) return sites.get(fn);
    const site = locate(fn);
    sites.set(fn, site);
    return site;
  };
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
