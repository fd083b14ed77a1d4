// Worker module of bench/workers.mjs: the same two jobs, once as a nursery job (defineJob) and once
// as a raw piscina handler. `done` is a shared Int32Array: [0] counts cleanups that ran; the time
// each cleanup ran is written into the Float64Array `at` over the same buffer, slot 1.
import { defineJob } from "@nursery/workers/worker";

const now = () => performance.timeOrigin + performance.now();

function cleanup(done) {
  new Float64Array(done.buffer)[1] = now();
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
}

function started(done) {
  Atomics.store(done, 1, 1);
  Atomics.notify(done, 1);
}

export const add = defineJob((i) => i + 1);

export const spin = defineJob(({ done }, job) => {
  started(done);
  try {
    for (;;) job.checkpoint();
  } finally {
    cleanup(done);
  }
});

export function rawAdd(i) {
  return i + 1;
}

// A raw piscina job cannot see its cancellation: piscina's abort terminates the thread.
export function rawSpin({ done }) {
  started(done);
  try {
    for (;;);
  } finally {
    cleanup(done);
  }
}
