// Node, Bun and Deno (package.json `imports`, conditions node/bun/deno): the runtime's own
// diagnostics_channel, so `diagnostics_channel.subscribe("nursery:spawn", fn)` reaches our events.
import { channel as nodeChannel } from "node:diagnostics_channel";
import type { DiagnosticsChannel } from "../../diagnostics.js";

export const channel: (name: string) => DiagnosticsChannel = nodeChannel;
