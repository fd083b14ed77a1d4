// The plain-async floor: what a careful programmer writes by hand without a library.
// Promise.all to join, one AbortController per task, and a hand-written registry (exactly one
// listener on the parent signal plus a Set of child controllers) so that cancelling the parent
// costs O(n), not the O(n^2) of one listener per child on a shared signal. The sleep adapter is
// hand-written too: it rejects with signal.reason and removes its listener, unlike
// timers/promises which allocates a new AbortError with a stack per cancellation.
// The tree scenario does reverse-order cancellation by hand: an array of children walked newest
// first, awaiting each before aborting the next.

const HOUR = 3_600_000;
const pending = new Promise(() => {});

/** Children of one parent signal: one abort listener on the parent, a Set of child controllers. */
class Registry {
  constructor(parent) {
    this.parent = parent;
    this.children = new Set();
    this.onAbort = () => {
      for (const child of this.children) child.abort(parent.reason);
    };
    parent.addEventListener("abort", this.onAbort);
  }

  /** Starts `fn(signal)` with its own controller, registered until it settles. */
  spawn(fn) {
    const controller = new AbortController();
    if (this.parent.aborted) controller.abort(this.parent.reason);
    this.children.add(controller);
    return run(fn, controller, this.children);
  }

  close() {
    this.parent.removeEventListener("abort", this.onAbort);
  }
}

async function run(fn, controller, children) {
  try {
    return await fn(controller.signal);
  } finally {
    children.delete(controller);
  }
}

/** Resolves after `ms`, or rejects with `signal.reason` when the signal aborts; one listener, removed on settle. */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort);
  });
}

/** Resolves when the signal aborts (one listener). */
function aborted(signal) {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

export async function spawnJoin(n, state) {
  const parent = new AbortController();
  const registry = new Registry(parent.signal);
  const tasks = new Array(n);
  for (let i = 0; i < n; i++) {
    tasks[i] = registry.spawn(async () => {
      await null;
      state.done++;
    });
  }
  try {
    await Promise.all(tasks);
  } finally {
    registry.close();
  }
}

function sleeper(state) {
  return async (signal) => {
    state.started++;
    try {
      await sleep(HOUR, signal);
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      state.cleaned++;
    }
  };
}

export function openSleepers(n, state) {
  const parent = new AbortController();
  const registry = new Registry(parent.signal);
  const tasks = new Array(n);
  const body = sleeper(state);
  for (let i = 0; i < n; i++) tasks[i] = registry.spawn(body);
  const all = Promise.all(tasks);
  return {
    async cancel() {
      parent.abort();
      await all;
      registry.close();
    },
  };
}

export function openIdle(n, state) {
  const parent = new AbortController();
  const registry = new Registry(parent.signal);
  const tasks = new Array(n);
  for (let i = 0; i < n; i++) {
    tasks[i] = registry.spawn(async () => {
      state.started++;
      await pending;
    });
  }
  return { registry, all: Promise.all(tasks) };
}

export async function sequential({ m, warm }, measure) {
  const parent = new AbortController();
  const registry = new Registry(parent.signal);
  let joined = 0;
  const trivial = async () => 1;
  try {
    for (let i = 0; i < warm; i++) joined += await registry.spawn(trivial);
    await measure("before");
    for (let i = 0; i < m; i++) joined += await registry.spawn(trivial);
    await measure("after");
  } finally {
    registry.close();
  }
  return joined;
}

// A tree node: spawns its children, waits for its signal, then cancels the children newest
// first, each settled before the next, and logs itself last.
async function node(signal, path, depth, shape, log, state) {
  if (depth === shape.length) {
    state.started++;
    try {
      await sleep(HOUR, signal);
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      log.push(path);
    }
    return;
  }
  const children = [];
  for (let i = 0; i < shape[depth]; i++) {
    const controller = new AbortController();
    const childPath = depth === 0 ? `${i}` : `${path}.${i}`;
    children.push({ controller, done: node(controller.signal, childPath, depth + 1, shape, log, state) });
  }
  try {
    await aborted(signal);
  } finally {
    for (let i = children.length - 1; i >= 0; i--) {
      children[i].controller.abort(signal.reason);
      await children[i].done;
    }
    if (depth > 0) log.push(path);
  }
}

export function openTree(shape, log, state) {
  const root = new AbortController();
  const done = node(root.signal, "", 0, shape, log, state);
  return {
    async cancel() {
      root.abort();
      await done;
    },
  };
}
