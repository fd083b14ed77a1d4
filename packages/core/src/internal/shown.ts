// How a name (or a definition site) is shown in text meant for a terminal or a log: the task tree
// (dumpTree, run()'s reports, tree requests), leak warnings and the unlinked-nursery warning.
// Names often come from outside (a URL, a header, a file name): a newline in one would forge lines
// of the tree, an escape sequence would drive the reader's terminal (colours, title, cursor), and a
// bidirectional override would reorder what follows. So each such character is written as an
// escape, one line stays one line, and a very long name is cut. The name itself (`task.name`, the
// error messages) is never changed: only its display. In the paths of
// `ShutdownTimeoutError.stragglers` a level's `\` and `/` are escaped (`pathSegment`).
// See docs/design/decisions/core-shown-names.md.

/** Code units of a name shown before it is cut. */
export const SHOWN_MAX = 200;
/** Code units of a definition site shown (a path deep in node_modules is long). */
export const SITE_MAX = 1000;

// C0 and C1 controls and DEL (\p{Cc}), lone surrogates (\p{Cs}: with the u flag a well-formed pair is
// one code point and does not match), the line and paragraph separators, and the bidirectional
// marks, embeddings, overrides and isolates (the "Trojan Source" set, CVE-2021-42574).
const UNSAFE = /[\p{Cc}\p{Cs}\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/gu;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escape(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` as one safe line: control, bidirectional and lone-surrogate characters escaped (`\n`,
 * `\x1b`, `\u202e`, `\ud800`), and cut after `max` code units, saying how many more there were.
 */
export function shown(text: string, max = SHOWN_MAX): string {
  let head = text;
  let cut = "";
  if (text.length > max) {
    // Not between the two halves of a surrogate pair.
    const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) && /[\udc00-\udfff]/.test(text.charAt(max)) ? max - 1 : max;
    head = text.slice(0, end);
    cut = `… (${text.length - end} more characters)`;
  }
  return head.replace(UNSAFE, escape) + cut;
}

/**
 * `name` as one level of a straggler path (`ShutdownTimeoutError.stragglers`): `\` and `/` written
 * as `\\` and `\/`, so a name holding `/` is not read as two levels. Backslash escapes, as in
 * `shown`. See docs/design/decisions/core-shown-names.md.
 */
export function pathSegment(name: string): string {
  return name.replace(/[\\/]/g, (char) => `\\${char}`);
}
