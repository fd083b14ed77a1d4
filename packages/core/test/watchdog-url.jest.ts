// jest runs core's sources as CommonJS, where src/run/watchdog-url.ts's `import.meta` cannot be
// parsed; jest.config.js maps that module here. The watchdog Worker is then the built one
// (dist/run/watchdog-worker.js, from `npx tsc -b`), as it is for every fixture program.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export const watchdogUrl = (): URL => pathToFileURL(join(__dirname, "..", "dist", "run", "watchdog-worker.js"));
