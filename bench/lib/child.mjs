// One measurement in a fresh process: `node --expose-gc bench/lib/child.mjs <impl> <scenario> <params-json>`.
// Prints exactly one line starting with "RESULT " (a JSON object) and exits; any failure exits 1
// with the error on stderr. It exits explicitly because some scenarios leave tasks asleep for an hour.

import { MEASURES } from "./measure.mjs";

const [implName, scenarioId, paramsJson] = process.argv.slice(2);

try {
  const measure = MEASURES[scenarioId];
  if (!measure) throw new Error(`unknown scenario ${scenarioId}`);
  const impl = await import(new URL(`../impl/${implName}.mjs`, import.meta.url).href);
  const result = await measure(impl, JSON.parse(paramsJson));
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
} catch (error) {
  process.stderr.write(`${error?.stack ?? error}\n`, () => process.exit(1));
}
