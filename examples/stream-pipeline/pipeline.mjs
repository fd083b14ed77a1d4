// A pipeline of streams owned by a task: read events, keep the errors, enrich them four at a time,
// gzip them to a file. Ctrl+C tears every stage down (the generator is closed, the gzip and file
// streams destroyed), the partial file is removed, and the process exits 130.
//
//   run()
//   └─ export (nursery)
//      ├─ pipeline    events -> parse -> onlyErrors -> enrich (x4) -> toLines -> gzip -> file
//      └─ progress    a line per second; stopped when the pipeline is done
//
// Usage: node examples/stream-pipeline/pipeline.mjs [--count 10000] [--rate 0] [--out errors.ndjson.gz]
//   --count  events to generate (Infinity: until Ctrl+C)   --rate  events per second (0: as fast as possible)
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createGzip } from "node:zlib";
import { nursery, run } from "@nursery/core";
import { map, pipeline } from "@nursery/streams";
import { interval, sleep } from "@nursery/timers";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "10000" },
    rate: { type: "string", default: "0" },
    out: { type: "string", default: "errors.ndjson.gz" },
  },
});
const COUNT = Number(values.count);
const RATE = Number(values.rate);
const OUT = values.out;

const stats = { read: 0, written: 0 };

/** The source: a synthetic log, one JSON line per event. Its `finally` runs when the pipeline stops. */
async function* events({ signal }) {
  try {
    for (let seq = 1; seq <= COUNT; seq++) {
      if (RATE > 0) await sleep(signal, 1_000 / RATE);
      const level = seq % 10 === 0 ? "error" : "info";
      yield JSON.stringify({ seq, level, ip: `10.0.0.${seq % 256}`, msg: `event ${seq}` });
    }
  } finally {
    console.log(`events: closed after ${stats.read} events`);
  }
}

async function* parse(lines) {
  for await (const line of lines) {
    stats.read++;
    yield JSON.parse(line);
  }
}

async function* onlyErrors(records) {
  for await (const record of records) if (record.level === "error") yield record;
}

/** A slow lookup (think DNS or a database), cancelled with the pipeline. */
async function lookupHost(ip, signal) {
  await sleep(signal, 2);
  return `host-${ip.split(".").at(-1)}.internal`;
}

/** Up to four lookups at once; results stay in order. */
function enrich(records, stage) {
  return map(stage, records, async (record, { signal }) => ({ ...record, host: await lookupHost(record.ip, signal) }), {
    concurrency: 4,
  });
}

async function* toLines(records) {
  for await (const record of records) {
    stats.written++;
    yield `${JSON.stringify(record)}\n`;
  }
}

await run(async (main) => {
  await nursery(main,
    async (n) => {
      n.spawn(
        async (task) => {
          const partial = `${OUT}.partial`;
          try {
            await pipeline(task, events, parse, onlyErrors, enrich, toLines, createGzip(), createWriteStream(partial));
            await rename(partial, OUT); // only a complete file gets the real name
          } catch (err) {
            await rm(partial, { force: true });
            console.log(`removed ${partial}`);
            throw err;
          }
          console.log(`wrote ${stats.written} of ${stats.read} events to ${OUT}`);
          n.cancel(); // done: stop the progress task
        },
        { name: "pipeline" },
      );
      n.spawn(
        async (task) => {
          for await (const _ of interval(task, 1_000)) console.log(`progress: ${stats.read} read, ${stats.written} written`);
        },
        { name: "progress" },
      );
    },
    { name: "export" },
  );
});
