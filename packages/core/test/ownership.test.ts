// Who cancels a task: its nursery, never the code that called spawn(). A task spawned into
// nursery B from a task of nursery A, from inside a moveOnAfter scope or from inside a shield is
// cancelled by B alone. There is no ambient scope for spawn() to consult, so these tests guard
// against one being added.
import { describe, expect, it } from "@jest/globals";
import { moveOnAfter, nursery, shield, CancelledError, type Nursery, type Task } from "@nursery/core";
import { VirtualClock, settledWithin } from "@nursery/core/testing";
import { deferred, flush, untilAborted } from "./support.js";

/**
 * Spawns into `target` a child that runs until `release` resolves or its own signal aborts, and
 * logs `child: aborted=<bool>` when released.
 */
function spawnWatched(target: Nursery, release: Promise<void>, log: string[]): Task<void> {
  return target.spawn(
    async (t) => {
      await Promise.race([release, untilAborted(t.signal)]);
      log.push(`child: aborted=${t.signal.aborted}`);
    },
    { name: "child" },
  );
}

describe("task ownership", () => {
  it.each<[string, (a: Nursery, spawner: Task<void>) => void]>([
    ["task.cancel()", (_a, spawner) => spawner.cancel("stop")],
    ["its own nursery's cancel()", (a) => a.cancel("stop")],
  ])("leaves a child spawned into another nursery running, and that nursery waiting for it, when the spawning task is cancelled by %s", async (_label, cancel) => {
    const release = deferred();
    const log: string[] = [];
    let child: Task<void> | undefined;
    let b: Nursery | undefined;
    const outer = nursery(
      async (nb) => {
        b = nb;
        await nursery(
          async (a) => {
            const spawner = a.spawn(
              async (task) => {
                child = spawnWatched(nb, release.promise, log);
                await untilAborted(task.signal);
              },
              { name: "spawner" },
            );
            await flush(1);
            cancel(a, spawner);
            await expect(spawner).rejects.toBeInstanceOf(CancelledError);
          },
          { name: "a" },
        );
        log.push("a settled");
      },
      { name: "b" },
    );
    // A has settled and the spawner was cancelled; the child in B is untouched and B waits for it.
    expect(await settledWithin(outer)).toEqual({ state: "pending" });
    expect(log).toEqual(["a settled"]);
    expect(child?.state).toBe("running");
    expect(b?.cancelRequested).toBe(false);
    expect(b?.children).toEqual([child]);
    release.resolve();
    await outer;
    expect(log).toEqual(["a settled", "child: aborted=false"]);
    expect(child?.state).toBe("fulfilled");
  });

  it("leaves a child spawned into the outer nursery from inside a moveOnAfter scope running after the scope's deadline passed", async () => {
    const clock = new VirtualClock();
    const release = deferred();
    const log: string[] = [];
    let child: Task<void> | undefined;
    const outer = nursery(
      async (n) => {
        n.spawn(async (task) => {
          const result = await moveOnAfter(
            100,
            async (signal) => {
              child = spawnWatched(n, release.promise, log);
              await untilAborted(signal);
            },
            { signal: task.signal, clock },
          );
          log.push(`scope: ${String(result)}`);
        });
      },
      { clock, name: "outer" },
    );
    await clock.advance(100);
    expect(log).toEqual(["scope: undefined"]);
    expect(child?.state).toBe("running");
    expect(await settledWithin(outer)).toEqual({ state: "pending" });
    release.resolve();
    await outer;
    expect(log).toEqual(["scope: undefined", "child: aborted=false"]);
    expect(child?.state).toBe("fulfilled");
  });

  it("cancels a child spawned from inside a shield into an outer nursery when that nursery is cancelled", async () => {
    const log: string[] = [];
    const shieldDone = deferred();
    let child: Task<void> | undefined;
    let shieldSignal: AbortSignal | undefined;
    let reason: unknown;
    const outer = nursery(
      async (n) => {
        n.spawn(async () => {
          await shield(async (signal) => {
            shieldSignal = signal;
            child = n.spawn(
              async (t) => {
                await untilAborted(t.signal).catch((err: unknown) => {
                  log.push("child: aborted");
                  throw err;
                });
              },
              { name: "child" },
            );
            await shieldDone.promise;
          });
        }, { name: "shielded" });
        await flush(1);
        n.cancel("stop");
        await untilAborted(n.signal).catch((err: unknown) => {
          reason = err;
        });
      },
      { name: "outer" },
    );
    await flush();
    // The child is cancelled with the nursery's reason; the shield itself is still holding out.
    expect(log).toEqual(["child: aborted"]);
    expect(child?.state).toBe("cancelled");
    expect(shieldSignal?.aborted).toBe(false);
    shieldDone.resolve();
    await outer;
    await expect(child).rejects.toBe(reason);
    expect((reason as CancelledError).reason).toMatchObject({ source: "explicit", detail: "stop", nursery: "outer" });
  });
});
