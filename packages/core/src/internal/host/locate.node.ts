// Node, Bun and Deno: where a function is defined, through the in-process inspector (../locate.ts).
export { locate } from "../locate.js";
