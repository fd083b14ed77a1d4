// effection v4, written the way its guides show: `run` for the entry, `spawn` for children,
// yielding a task to join it, `sleep` for timers, `suspend` to wait forever, `until` to await a
// promise, and `task.halt()` to cancel. Cleanup is a plain `try/finally`, which effection runs on
// halt; its docs call `ensure(fn)` the equivalent that avoids rightward drift, but `ensure` is a
// resource with its own scope and costs about twice the memory per task (24 KB vs 11 KB measured,
// see docs/design/decisions/bench-scenarios.md), so the cheaper documented form is used where
// it means the same thing (a leaf's cleanup).
// Halting a scope tears its children down in reverse order, one at a time (scope-internal.js
// `destroy`).

import { ensure, run, sleep, spawn, suspend, until } from "effection";

const HOUR = 3_600_000;
const resolved = Promise.resolve();

export async function spawnJoin(n, state) {
  await run(function* () {
    const tasks = new Array(n);
    for (let i = 0; i < n; i++) {
      tasks[i] = yield* spawn(function* () {
        yield* until(resolved);
        state.done++;
      });
    }
    for (const task of tasks) yield* task;
  });
}

export function openSleepers(n, state) {
  const sleeper = function* () {
    state.started++;
    try {
      yield* sleep(HOUR);
    } finally {
      state.cleaned++;
    }
  };
  const root = run(function* () {
    for (let i = 0; i < n; i++) yield* spawn(sleeper);
    yield* suspend();
  });
  return { cancel: () => root.halt() };
}

export function openIdle(n, state) {
  const idle = function* () {
    state.started++;
    yield* suspend();
  };
  const root = run(function* () {
    for (let i = 0; i < n; i++) yield* spawn(idle);
    yield* suspend();
  });
  return { root };
}

export async function sequential({ m, warm }, measure) {
  return run(function* () {
    let joined = 0;
    const trivial = function* () {
      return 1;
    };
    for (let i = 0; i < warm; i++) joined += yield* yield* spawn(trivial);
    yield* until(measure("before"));
    for (let i = 0; i < m; i++) joined += yield* yield* spawn(trivial);
    yield* until(measure("after"));
    return joined;
  });
}

function node(path, depth, shape, log, state) {
  if (depth === shape.length) {
    return function* () {
      state.started++;
      try {
        yield* sleep(HOUR);
      } finally {
        log.push(path);
      }
    };
  }
  // An interior node's own `finally` would run before its children are halted (the generator
  // returns first, then the scope tears its children down); `ensure`, registered before the
  // children, runs after them, so it is what expresses "log once my subtree is clean" here.
  return function* () {
    if (depth > 0) {
      yield* ensure(() => {
        log.push(path);
      });
    }
    for (let i = 0; i < shape[depth]; i++) {
      yield* spawn(node(depth === 0 ? `${i}` : `${path}.${i}`, depth + 1, shape, log, state));
    }
    yield* suspend();
  };
}

export function openTree(shape, log, state) {
  const root = run(node("", 0, shape, log, state));
  return { cancel: () => root.halt() };
}
