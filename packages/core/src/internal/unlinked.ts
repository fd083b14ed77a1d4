// The one hole left by structural nesting: `nursery(body)` with no parent and no signal, opened
// inside a running task. The runtime can tell only when currentTask() is enabled (an
// AsyncLocalStorage holds the running task); then it says so once per definition site of the body.
// console.warn, not process.emitWarning: core's main entry is platform neutral
// (docs/design/decisions/core-structural-nesting.md).
import { locate } from "#core-host/locate";
import { context } from "./context.js";
import { SITE_MAX, shown } from "./shown.js";
import { TaskImpl } from "./task-impl.js";

/** Definition sites (or, where they are unknown, function sources) already warned about. */
const warned = new Set<string>();

function at(site: string | undefined): string {
  return site === undefined ? "" : ` (defined at ${shown(site, SITE_MAX)})`;
}

/** Warns once per body definition site when an unlinked nursery is opened inside a running task. */
export function noticeUnlinked(body: Function, name: string): void {
  const task = context.storage?.getStore();
  if (task === undefined || task.state !== "running") return;
  const site = locate(body);
  const key = site ?? body.toString();
  if (warned.has(key)) return;
  warned.add(key);
  const taskSite = task instanceof TaskImpl ? locate(task.fn) : undefined;
  console.warn(
    `@nursery/core: nursery "${shown(name)}"${at(site)} was opened inside task "${shown(task.name)}"${at(taskSite)} ` +
      `without a parent: it does not follow the task's cancellation and is not listed under it. ` +
      `Write nursery(task, body), or nursery(body, { signal }) to follow a foreign signal on purpose.`,
  );
}
