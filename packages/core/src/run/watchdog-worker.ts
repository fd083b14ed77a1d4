// The watchdog Worker's module file (see watchdog.ts): it imports what watchdog-body.ts's function
// needs and runs it. A program bundled into one file has no such file next to it: the Worker then
// runs the same function from its source text, with the same two imports (watchdog.ts).
import { Session } from "node:inspector";
import { parentPort, workerData } from "node:worker_threads";
import { watchdogBody } from "./watchdog-body.js";
import type { WatchdogData } from "./watchdog-protocol.js";

watchdogBody(workerData as WatchdogData, Session, parentPort);
