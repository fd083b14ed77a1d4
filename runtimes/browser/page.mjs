// The page's script, bundled by esbuild for the browser (no externals): the neutral suite, plus
// the two scenarios whose effect only the loopback server can see. The test drives them through
// `window.nurseryPage` and reads the server's log.
import { isCancellation, nursery, openNursery } from "@nursery/core";
import { fetch } from "@nursery/fetch";
import { iterate } from "@nursery/streams";
import { checkCount, runNeutralSuite } from "../suite/neutral-suite.mjs";

let hanging;

window.nurseryPage = {
  checkCount,
  runSuite: () => runNeutralSuite({ base: location.origin, processEntry: false }),

  /** Starts a task-bound fetch of `path`, which the server never answers; resolves once it is sent. */
  startHangingFetch(path) {
    const n = openNursery({ name: "page" });
    const outcome = new Promise((resolve) => {
      n.spawn(
        async (task) => {
          try {
            await fetch(task, new URL(path, location.origin));
            resolve("resolved");
          } catch (err) {
            resolve(isCancellation(err) ? `cancelled (${err.reason?.source})` : `failed: ${err}`);
            throw err;
          }
        },
        { name: "hanging fetch" },
      );
    });
    hanging = { n, outcome, settled: n[Symbol.asyncDispose]().then(() => "nursery resolved", (e) => `nursery rejected: ${e}`) };
  },

  /** Cancels the nursery of startHangingFetch(); resolves with what the task and the nursery saw. */
  async cancelHangingFetch() {
    hanging.n.cancel("page cancelled");
    return { task: await hanging.outcome, nursery: await hanging.settled };
  },

  /**
   * Reads the body of `path` (an endless stream) with the platform fetch and iterate(), and cancels
   * the nursery after `reads` reads: iterate() cancels the ReadableStream, which must close the
   * connection. Resolves with the number of reads.
   */
  async readThenCancel(path, reads) {
    let seen = 0;
    await nursery(async (n) => {
      n.spawn(async (task) => {
        const response = await globalThis.fetch(path);
        for await (const _ of iterate(response.body, { signal: task.signal })) {
          seen += 1;
          if (seen === reads) n.cancel("read enough");
        }
      });
    });
    return seen;
  },
};
