// Node, Bun and Deno: the real run(), which owns process signals and the exit code.
export { run, type RunOptions } from "../../run/run.js";
