// Effect v4, written the way its docs show: `Effect.forEach` with unbounded concurrency to run many
// effects, `Effect.forkChild` + `Fiber.join` / `Fiber.interrupt` for explicit fibers (children are
// interrupted with their parent: "auto supervision"), `Effect.sleep`, `Effect.ensuring` for cleanup,
// and an explicit `Scope` with `Effect.forkIn` where the order matters: a sequential scope closes
// LIFO, interrupting and awaiting one fiber at a time. Modules are imported per module
// (`effect/Effect`), the tree-shakable form.

import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Fiber from "effect/Fiber";
import * as Scope from "effect/Scope";

const HOUR = 3_600_000;

export async function spawnJoin(n, state) {
  const items = new Array(n).fill(0);
  await Effect.runPromise(
    Effect.forEach(
      items,
      () =>
        Effect.map(Effect.yieldNow, () => {
          state.done++;
        }),
      { concurrency: "unbounded", discard: true },
    ),
  );
}

/**
 * Default: children forked with `forkChild` under one parent fiber, interrupted together with it.
 * `variant` "lifo": children forked into an explicit sequential Scope, closed LIFO one at a time.
 */
export function openSleepers(n, state, variant) {
  const sleeper = Effect.suspend(() => {
    state.started++;
    return Effect.sleep(HOUR);
  }).pipe(
    Effect.ensuring(
      Effect.sync(() => {
        state.cleaned++;
      }),
    ),
  );
  if (variant === "lifo") {
    const scope = Scope.makeUnsafe();
    Effect.runSync(
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* Effect.forkIn(sleeper, scope);
      }),
    );
    return { cancel: () => Effect.runPromise(Scope.close(scope, Exit.void)) };
  }
  const parent = Effect.runFork(
    Effect.gen(function* () {
      for (let i = 0; i < n; i++) yield* Effect.forkChild(sleeper);
      return yield* Effect.never;
    }),
  );
  return { cancel: () => Effect.runPromise(Fiber.interrupt(parent)) };
}

export function openIdle(n, state) {
  const idle = Effect.suspend(() => {
    state.started++;
    return Effect.never;
  });
  const parent = Effect.runFork(
    Effect.gen(function* () {
      for (let i = 0; i < n; i++) yield* Effect.forkChild(idle);
      return yield* Effect.never;
    }),
  );
  return { parent };
}

export function sequential({ m, warm }, measure) {
  const trivial = Effect.sync(() => 1);
  return Effect.runPromise(
    Effect.gen(function* () {
      let joined = 0;
      for (let i = 0; i < warm; i++) joined += yield* Fiber.join(yield* Effect.forkChild(trivial));
      yield* Effect.promise(() => measure("before"));
      for (let i = 0; i < m; i++) joined += yield* Fiber.join(yield* Effect.forkChild(trivial));
      yield* Effect.promise(() => measure("after"));
      return joined;
    }),
  );
}

const logged = (log, path) =>
  Effect.ensuring(
    Effect.sync(() => {
      log.push(path);
    }),
  );

// Interior nodes fork their children into their own scope (closed LIFO when the node is
// interrupted) and log after it closed; leaves sleep and log in a finalizer.
function node(path, depth, shape, log, state) {
  if (depth === shape.length) {
    return Effect.suspend(() => {
      state.started++;
      return Effect.sleep(HOUR);
    }).pipe(logged(log, path));
  }
  return Effect.scoped(
    Effect.gen(function* () {
      const scope = yield* Effect.scope;
      for (let i = 0; i < shape[depth]; i++) {
        yield* Effect.forkIn(node(`${path}.${i}`, depth + 1, shape, log, state), scope);
      }
      return yield* Effect.never;
    }),
  ).pipe(logged(log, path));
}

export function openTree(shape, log, state) {
  const scope = Scope.makeUnsafe();
  Effect.runSync(
    Effect.gen(function* () {
      for (let i = 0; i < shape[0]; i++) yield* Effect.forkIn(node(`${i}`, 1, shape, log, state), scope);
    }),
  );
  return { cancel: () => Effect.runPromise(Scope.close(scope, Exit.void)) };
}
