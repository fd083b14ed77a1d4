// Reduced soak (the full 1M-cycle run is `npm run soak`): 100k sequential spawn/settle cycles in one
// long-lived nursery, in a child `node --expose-gc` running soak/soak.mjs against the built package
// (jest cannot force a GC in its own workers). Tolerance: the heap after forced GC may not grow by
// more than 1 MiB between the end of warm-up and the end, nor may its least-squares slope project
// more than that (code spaces excluded: the JIT's compiled code comes and goes). 1 MiB over 100k
// cycles is about 10 B per cycle: a single leaked object per task (a closure, a Task, a listener:
// 40 B and up) exceeds it several times over, while the noise measured between GCs on Node 20
// stays under 0.5 MiB. Needs `npx tsc -b` first (npm test does it).
import { afterEach, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { spawnFixture, type Fixture } from "@nursery/core/testing";

const SOAK = join(__dirname, "..", "soak", "soak.mjs");
const running: Fixture[] = [];

afterEach(() => {
  for (const f of running.splice(0)) f.kill();
});

interface SoakResult {
  cycles: number;
  seconds: number;
  growthBytes: number;
  maxGrowthBytes: number;
  slopeBytesPerCycle: number;
  projectedGrowthBytes: number;
  toleranceBytes: number;
  liveChildren: number;
  outsideListeners: number;
  extraTimers: number;
  failures: string[];
}

async function soak(args: string[]): Promise<{ code: number | null; result: SoakResult }> {
  const fixture = spawnFixture(SOAK, { nodeArgs: ["--expose-gc"], args });
  running.push(fixture);
  // A bounded wait: a hang fails the test instead of blocking the suite.
  const line = await fixture.waitForLine(/^soak-result /, { timeout: 120_000 });
  const { code } = await fixture.exited;
  return { code, result: JSON.parse(line.slice("soak-result ".length)) as SoakResult };
}

describe("soak", () => {
  it("keeps the heap flat over 100k sequential spawn/settle cycles in one nursery", async () => {
    const { code, result } = await soak(["--cycles", "100000", "--samples", "10", "--tolerance-kib", "1024"]);
    expect(result.failures).toEqual([]);
    expect(code).toBe(0);
    expect(result.cycles).toBe(100_000);
    expect(result.growthBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(result.projectedGrowthBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(result.liveChildren).toBe(0);
    expect(result.outsideListeners).toBe(1);
    expect(result.extraTimers).toBe(0);
  }, 150_000);

  it("fails when one small object per cycle is retained (the measurement can see a leak)", async () => {
    const { code, result } = await soak(["--cycles", "100000", "--samples", "10", "--tolerance-kib", "1024", "--retain-every", "1"]);
    expect(code).toBe(1);
    expect(result.growthBytes).toBeGreaterThan(1024 * 1024);
    expect(result.failures.join("\n")).toMatch(/heap grew/);
  }, 150_000);
});
