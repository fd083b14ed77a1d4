// nursery, written the way its README shows: `nursery(body)` opens a scope that settles after
// every child, `n.spawn(fn)` starts a child (a Task is awaitable, which joins it), cleanup is a
// plain `finally`, `sleep(ms, task)` from @nursery/timers is bound to the task (its docs say to
// pass the task as the options), and `n.cancel()` cancels the children newest first (the default
// `cancelOrder: "reverse"`). A nested nursery inside a task takes the task's signal, so
// cancelling the task cancels its subtree.
// Uses the built packages (packages/*/dist): run `npx tsc -b` first.

import { nursery } from "@nursery/core";
import { sleep } from "@nursery/timers";

const HOUR = 3_600_000;
const pending = new Promise(() => {});

export async function spawnJoin(n, state) {
  await nursery((scope) => {
    for (let i = 0; i < n; i++) {
      scope.spawn(async () => {
        await null;
        state.done++;
      });
    }
  });
}

/** Opens a nursery whose body runs `fill`; resolves to the nursery and the promise of its settlement. */
function openScope(fill, options) {
  let opened;
  const ready = new Promise((resolve) => (opened = resolve));
  const done = nursery((scope) => {
    fill(scope);
    opened(scope);
  }, options);
  const early = done.then(() => {
    throw new Error("the nursery settled before its body ran");
  });
  return Promise.race([ready, early]).then((scope) => ({ scope, done }));
}

/** `variant` "concurrent" uses `cancelOrder: "concurrent"`; otherwise the default (reverse). */
export async function openSleepers(n, state, variant) {
  const sleeper = async (task) => {
    state.started++;
    try {
      await sleep(HOUR, task);
    } finally {
      state.cleaned++;
    }
  };
  const { scope, done } = await openScope(
    (root) => {
      for (let i = 0; i < n; i++) root.spawn(sleeper);
    },
    variant === "concurrent" ? { cancelOrder: "concurrent" } : undefined,
  );
  return {
    async cancel() {
      scope.cancel();
      await done;
    },
  };
}

export function openIdle(n, state) {
  const idle = async () => {
    state.started++;
    await pending;
  };
  return openScope((root) => {
    for (let i = 0; i < n; i++) root.spawn(idle);
  });
}

export async function sequential({ m, warm }, measure) {
  const trivial = async () => 1;
  return nursery(async (scope) => {
    let joined = 0;
    for (let i = 0; i < warm; i++) joined += await scope.spawn(trivial);
    await measure("before");
    for (let i = 0; i < m; i++) joined += await scope.spawn(trivial);
    await measure("after");
    return joined;
  });
}

// A leaf sleeps and logs in its finally; an interior node runs a nested nursery bound to its
// task's signal and logs once that nursery (its whole subtree) has settled.
function node(path, depth, shape, log, state) {
  if (depth === shape.length) {
    return async (task) => {
      state.started++;
      try {
        await sleep(HOUR, task);
      } finally {
        log.push(path);
      }
    };
  }
  return async (task) => {
    try {
      await nursery(
        (inner) => {
          for (let i = 0; i < shape[depth]; i++) inner.spawn(node(`${path}.${i}`, depth + 1, shape, log, state));
        },
        { signal: task.signal },
      );
    } finally {
      log.push(path);
    }
  };
}

export async function openTree(shape, log, state) {
  const { scope, done } = await openScope((root) => {
    for (let i = 0; i < shape[0]; i++) root.spawn(node(`${i}`, 1, shape, log, state));
  });
  return {
    async cancel() {
      scope.cancel();
      await done;
    },
  };
}
