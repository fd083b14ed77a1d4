// Node, Bun and Deno (package.json `imports`, conditions node/bun/deno): the runtime's own
// diagnostics_channel, so `diagnostics_channel.subscribe("nursery:spawn", fn)` reaches our events.
export { channel } from "node:diagnostics_channel";
