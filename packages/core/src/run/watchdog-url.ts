// Where the watchdog Worker's module is: next to this file once compiled (dist/run/). The only
// use of `import.meta` in core; jest (which runs the sources as CommonJS) maps this module to
// test/support/watchdog-url.ts, which points at the built file.
export const watchdogUrl = (): URL => new URL("./watchdog-worker.js", import.meta.url);
