#!/usr/bin/env node
// Prints the hottest frames of a V8 .cpuprofile (from `node bench/run.mjs --profile`) by self
// time, and self time per source file:
//   node bench/lib/top-frames.mjs bench/results/profiles/<stamp>/s2-nursery-run1.cpuprofile [count]

import { readFileSync } from "node:fs";

const [file, countArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/lib/top-frames.mjs <file.cpuprofile> [count]");
  process.exit(2);
}
const count = Number(countArg ?? 20);
const profile = JSON.parse(readFileSync(file, "utf8"));

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map();
profile.samples.forEach((id, index) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
});

const shortUrl = (url) => url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\//, "").replace(/^.*\/work\/main\//, "");
const frames = new Map();
const files = new Map();
let total = 0;
for (const [id, micros] of selfMicros) {
  const { callFrame } = byId.get(id);
  const where = callFrame.url ? `${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}` : "(native)";
  const key = `${callFrame.functionName || "(anonymous)"}  ${where}`;
  frames.set(key, (frames.get(key) ?? 0) + micros);
  const fileKey = callFrame.url ? shortUrl(callFrame.url) : callFrame.functionName || "(native)";
  files.set(fileKey, (files.get(fileKey) ?? 0) + micros);
  total += micros;
}

const show = (map, n) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, micros]) => `${(micros / 1000).toFixed(1).padStart(9)} ms ${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}`)
    .join("\n");

console.log(`${file}: ${(total / 1000).toFixed(1)} ms sampled\n\nTop frames by self time:\n${show(frames, count)}`);
console.log(`\nSelf time by file:\n${show(files, 12)}`);
