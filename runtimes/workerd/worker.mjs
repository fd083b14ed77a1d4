// A Cloudflare Worker (module syntax) bundled by esbuild with the workerd/worker/browser
// conditions, run in workerd by miniflare without `nodejs_compat`: the platform-neutral entries
// only. `env.UPSTREAM` is the test's loopback server.
//   GET /suite    runs the neutral suite and answers its result as JSON
//   GET /fan-out  fetches three slow upstream URLs and one failing one in one nursery: the failure
//                 cancels the slow fetches newest-first, and the answer (502) lists what happened.
import { NurseryError, isCancellation, nursery } from "@nursery/core";
import { fetch } from "@nursery/fetch";
import { checkCount, runNeutralSuite } from "../suite/neutral-suite.mjs";

async function fanOut(upstream) {
  const log = [];
  try {
    await nursery(
      async (n) => {
        for (const i of [1, 2, 3]) {
          n.spawn(
            async (task) => {
              try {
                await fetch(task, `${upstream}/slow/${i}`);
                log.push(`slow ${i} answered`);
              } catch (err) {
                log.push(isCancellation(err) ? `slow ${i} cancelled (${err.reason?.source})` : `slow ${i} failed: ${err}`);
                throw err;
              }
            },
            { name: `slow ${i}` },
          );
        }
        n.spawn((task) => fetch(task, `${upstream}/fail`, { throwHttpErrors: true }), { name: "failing" });
      },
      { name: "fan-out" },
    );
    return Response.json({ log, outcome: "resolved" });
  } catch (err) {
    const errors = err instanceof NurseryError ? err.errors.map((e) => `${e.name}: ${e.message}`) : [String(err)];
    return Response.json({ log, outcome: err.name, errors }, { status: 502 });
  }
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/suite") {
      const result = await runNeutralSuite({ base: env.UPSTREAM, processEntry: false });
      return Response.json({ ...result, checkCount });
    }
    if (pathname === "/fan-out") return fanOut(env.UPSTREAM);
    return new Response("not found", { status: 404 });
  },
};
