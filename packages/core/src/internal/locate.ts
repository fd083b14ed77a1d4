// Where was a task's function defined? Answered at report time (shutdown timeout, forced exit)
// through the in-process inspector, so spawn() captures nothing and costs nothing: a task keeps a
// reference to its function anyway, and V8 knows each function's source position.
// Capturing a stack per spawn instead costs ~2 us and ~500 B per task (measured on Node 20).
// With source maps enabled in the process (--enable-source-maps, process.setSourceMapsEnabled),
// a location inside a bundle or compiled file is mapped back to the original source, as Node does
// for stack traces.
import { Session } from "node:inspector";
import { findSourceMap } from "node:module";
import { fileURLToPath } from "node:url";
import { siteFunction } from "./site.js";

let session: Session | undefined;
let urls: Map<string, string> | undefined;

function open(): Session {
  if (session === undefined) {
    session = new Session();
    session.connect();
  }
  return session;
}

/** The URL of a script; the table is read again when `id` is not in it (a module loaded since). */
function scriptUrl(s: Session, id: string): string | undefined {
  if (urls === undefined) {
    const found = new Map<string, string>();
    s.on("Debugger.scriptParsed", (m) => found.set(m.params.scriptId, m.params.url));
    urls = found;
  } else if (urls.has(id)) {
    return urls.get(id);
  }
  // Enabling the debugger replays scriptParsed for every loaded script, synchronously. The session
  // lives on between reports (leak warnings keep it), so a script loaded after the last replay is
  // missing until the next one.
  s.post("Debugger.enable");
  s.post("Debugger.disable");
  return urls.get(id);
}

const KEY = Symbol.for("@nursery/core.locate-target");

/** `file:line:column` of a function's definition, or undefined when it cannot be found. */
export function locate(fn: Function): string | undefined {
  try {
    const target = siteFunction(fn); // an adapter's wrapper may name its user's function (adapter kit: locateAs)
    if (target === undefined) return undefined;
    const s = open();
    let location: { scriptId: string; lineNumber: number; columnNumber: number } | undefined;
    (globalThis as Record<symbol, unknown>)[KEY] = target;
    s.post("Runtime.evaluate", { expression: `globalThis[Symbol.for("@nursery/core.locate-target")]` }, (err, res) => {
      const id = res?.result?.objectId;
      if (err || id === undefined) return;
      s.post("Runtime.getProperties", { objectId: id, ownProperties: true }, (e2, props) => {
        const internal = props?.internalProperties?.find((p) => p.name === "[[FunctionLocation]]");
        location = internal?.value?.value as typeof location;
      });
      s.post("Runtime.releaseObject", { objectId: id });
    });
    delete (globalThis as Record<symbol, unknown>)[KEY];
    if (location === undefined) return undefined;
    const url = scriptUrl(s, location.scriptId) ?? `script ${location.scriptId}`;
    return (
      original(url, location.lineNumber, location.columnNumber) ??
      `${url}:${location.lineNumber + 1}:${location.columnNumber + 1}`
    );
  } catch {
    return undefined;
  }
}

/** The original source position of a 0-based one, when source maps are on and the file has one. */
function original(url: string, line: number, column: number): string | undefined {
  // Node keeps source maps only while they are enabled; without them there is nothing to map.
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled !== true) return undefined;
  // ES modules are keyed by URL, CommonJS by path.
  const map = findSourceMap(url) ?? (url.startsWith("file:") ? findSourceMap(fileURLToPath(url)) : undefined);
  const entry = map?.findEntry(line, column);
  if (entry === undefined || !("originalSource" in entry) || typeof entry.originalSource !== "string") return undefined;
  return `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
}

/** Closes the inspector session, if one was opened. */
export function closeLocator(): void {
  session?.disconnect();
  session = undefined;
  urls = undefined;
}
