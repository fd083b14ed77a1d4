import { describe, expect, it } from "@jest/globals";
import { getEventListeners } from "node:events";
import { CancelledError, nursery, TimeoutError, type TaskContext } from "@nursery/core";
import {
  checkCount,
  checkNumber,
  checkOneOf,
  checkOptionalFunction,
  checkOptionsRecord,
  defineErrorClass,
  errorBrandKey,
  isCancelledBy,
  isRecord,
  onCancel,
  onTaskEnd,
  readErrorBrand,
} from "@nursery/core/adapter";
import { expectInvalidArgument, thrown } from "@nursery/core/testing";

describe("checkNumber", () => {
  it.each<[string, Parameters<typeof checkNumber>[2], unknown]>([
    ["a number >= 0 or Infinity", { min: 0, infinity: true }, -1],
    ["a finite number >= 0", { min: 0 }, Infinity],
    ["a finite number > 0", { min: 0, above: true }, 0],
    ["an integer >= 1 or Infinity", { min: 1, integer: true, infinity: true }, 1.5],
    ["an integer >= 0", { min: 0, integer: true }, Infinity],
  ])("names the rule %s in its TypeError", (words, rule, bad) => {
    const err = thrown(() => checkNumber("n", bad, rule));
    expectInvalidArgument(err, "n");
    expect((err as TypeError).message.startsWith(`Expected \`n\` to be ${words}, got`)).toBe(true);
  });

  it("refuses NaN under every rule and returns what it accepts", () => {
    expect(thrown(() => checkNumber("n", NaN, { min: -Infinity, infinity: true }))).toBeInstanceOf(TypeError);
    expect(checkNumber("n", Infinity, { min: 0, infinity: true })).toBe(Infinity);
    expect(checkCount("n", 3, 1)).toBe(3);
  });
});

describe("checkOneOf", () => {
  it('names two choices as "a" or "b" and three as "a", "b" or "c"', () => {
    expect((thrown(() => checkOneOf("x", "z", ["a", "b"])) as TypeError).message).toBe('Expected `x` to be "a" or "b", got `"z"` (string)');
    expect((thrown(() => checkOneOf("x", 1, ["a", "b", "c"])) as TypeError).message).toBe('Expected `x` to be "a", "b" or "c", got `1` (number)');
    expect(checkOneOf("x", "b", ["a", "b"])).toBe("b");
  });
});

describe("checkOptionalFunction", () => {
  it("returns the function or undefined and refuses anything else, null too", () => {
    const fn = (): number => 1;
    expect(checkOptionalFunction<() => number>("onError", fn)).toBe(fn);
    expect(checkOptionalFunction("onError", undefined)).toBeUndefined();
    expectInvalidArgument(thrown(() => checkOptionalFunction("onError", null)), "onError");
    expect(thrown(() => checkOptionalFunction("onError", 5))).toHaveProperty("message", "Expected `onError` to be a function, got `5` (number)");
  });
});

describe("checkOptionsRecord and isRecord", () => {
  it("reads an absent bag as {}, returns a present one and refuses null and primitives", () => {
    const bag = { grace: 1 };
    expect(checkOptionsRecord("options", bag)).toBe(bag);
    expect(checkOptionsRecord("options", undefined)).toEqual({});
    expectInvalidArgument(thrown(() => checkOptionsRecord("options", null)), "options");
    expect(thrown(() => checkOptionsRecord("options", 5))).toHaveProperty("message", "Expected `options` to be an options object, got `5` (number)");
  });

  it("counts objects and arrays as records, never null or primitives", () => {
    expect([{}, [], new Date()].map(isRecord)).toEqual([true, true, true]);
    expect([null, undefined, 1, "s", () => 1].map(isRecord)).toEqual([false, false, false, false, false]);
  });
});

describe("defineErrorClass", () => {
  class QuotaError extends Error {
    readonly code = "ERR_QUOTA" as const;
  }
  defineErrorClass(QuotaError, { scope: "test-kit", name: "QuotaError", code: "ERR_QUOTA" });

  class TwoCodes extends Error {
    constructor(readonly code: "ERR_A" | "ERR_B") {
      super(code);
    }
  }
  defineErrorClass(TwoCodes, { scope: "test-kit", name: "TwoCodes", code: ["ERR_A", "ERR_B"] });

  it("gives instances the name and recognises an error of another copy of the class by its brand", () => {
    const err = new QuotaError("over");
    expect(err.name).toBe("QuotaError");
    expect(String(err)).toBe("QuotaError: over");
    // Another installed copy: a different class, defined the same way.
    class OtherCopy extends Error {}
    defineErrorClass(OtherCopy, { scope: "test-kit", name: "QuotaError", code: "ERR_QUOTA" });
    expect(new OtherCopy()).toBeInstanceOf(QuotaError);
    expect(err).toBeInstanceOf(OtherCopy);
    expect(readErrorBrand(err, errorBrandKey("test-kit"))).toBe("ERR_QUOTA");
  });

  it("does not recognise the same code under another scope, nor a plain Error", () => {
    class Elsewhere extends Error {}
    defineErrorClass(Elsewhere, { scope: "another-package", name: "QuotaError", code: "ERR_QUOTA" });
    expect(new Elsewhere()).not.toBeInstanceOf(QuotaError);
    expect(new Error("x")).not.toBeInstanceOf(QuotaError);
    expect(Object.assign(new Error("x"), { code: "ERR_QUOTA" })).not.toBeInstanceOf(QuotaError);
  });

  it("brands a class with several codes by each instance's own code", () => {
    expect(new TwoCodes("ERR_B")).toBeInstanceOf(TwoCodes);
    expect(readErrorBrand(new TwoCodes("ERR_A"), errorBrandKey("test-kit"))).toBe("ERR_A");
  });

  it("answers false, never throws, for a revoked Proxy or a throwing brand getter", () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(proxy instanceof QuotaError).toBe(false);
    const hostile = Object.defineProperty({}, errorBrandKey("test-kit"), {
      get() {
        throw new Error("boom");
      },
    });
    expect(hostile instanceof QuotaError).toBe(false);
    expect((null as unknown as object) instanceof QuotaError).toBe(false);
  });
});

describe("onCancel on an AbortSignal", () => {
  it("re-arms on an abort event dispatched by hand, then calls back once on the real abort", () => {
    const controller = new AbortController();
    const seen: unknown[] = [];
    onCancel(controller.signal, (reason) => seen.push(reason));
    controller.signal.dispatchEvent(new Event("abort"));
    expect(seen).toEqual([]);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort("real");
    controller.signal.dispatchEvent(new Event("abort"));
    expect(seen).toEqual(["real"]);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("leaves no listener after the remover, and the remover after the abort does nothing", () => {
    const controller = new AbortController();
    const remove = onCancel(controller.signal, () => {});
    const other = onCancel(controller.signal, () => {});
    remove();
    remove();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort();
    other();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});

describe("isCancelledBy", () => {
  it("is true for the source's reason itself and for an AbortError once the source is cancelled", () => {
    const controller = new AbortController();
    const abortError = new DOMException("This operation was aborted", "AbortError");
    expect(isCancelledBy(abortError, controller.signal)).toBe(false);
    const reason = new TimeoutError(5, "deadline"); // a verdict, yet the reason itself
    controller.abort(reason);
    expect(isCancelledBy(reason, controller.signal)).toBe(true);
    expect(isCancelledBy(abortError, controller.signal)).toBe(true);
    expect(isCancelledBy(Object.assign(new Error("aborted"), { name: "AbortError", code: "ABORT_ERR" }), { signal: controller.signal })).toBe(true);
  });

  it("is false for a real error seen while cancelled, even one whose cause is the reason", () => {
    const controller = new AbortController();
    const reason = new CancelledError({ source: "explicit" });
    controller.abort(reason);
    expect(isCancelledBy(new TypeError("terminated"), controller.signal)).toBe(false);
    expect(isCancelledBy(new Error("flush failed", { cause: reason }), controller.signal)).toBe(false);
    expect(isCancelledBy(new TimeoutError(5), controller.signal)).toBe(false);
  });

  it("reads a task's reason, and never throws for a source that is not one", async () => {
    await nursery(async (n) => {
      let context: TaskContext | undefined;
      const task = n.spawn(
        (t) =>
          new Promise<void>((resolve) => {
            context = t;
            onCancel(t, () => resolve());
          }),
      );
      const abortError = new DOMException("This operation was aborted", "AbortError");
      expect(isCancelledBy(abortError, context)).toBe(false);
      task.cancel("stop");
      expect(isCancelledBy(abortError, context)).toBe(true);
      expect(isCancelledBy(new Error("real"), context)).toBe(false);
    });
    expect(isCancelledBy(new DOMException("aborted", "AbortError"), undefined)).toBe(false);
    expect(isCancelledBy(new DOMException("aborted", "AbortError"), 42 as never)).toBe(false);
  });
});

describe("onTaskEnd", () => {
  it("calls back when the task returns, throws or is cancelled, once each, after the task settled", async () => {
    const log: string[] = [];
    await nursery(async (n) => {
      n.spawn(async (task) => {
        onTaskEnd(task, () => log.push(`returned:${task.state}`));
        await Promise.resolve();
      });
      const failing = n.spawn(async (task) => {
        onTaskEnd(task, () => log.push(`threw:${task.state}`));
        await Promise.resolve();
        throw new Error("expected");
      });
      n.spawn(async (task) => {
        onTaskEnd(task, () => log.push(`cancelled:${task.state}`));
        await new Promise((_, reject) => onCancel(task, reject));
      }).cancel();
      await failing.then(
        () => undefined,
        () => undefined,
      );
    }).catch(() => undefined);
    expect(log.sort()).toEqual(["cancelled:cancelled", "returned:fulfilled", "threw:rejected"]);
  });

  it("does not call a removed callback, calls at once for an ended task, and never for a bare signal owner", async () => {
    const log: string[] = [];
    let ended: Parameters<typeof onTaskEnd>[0] | undefined;
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        const remove = onTaskEnd(task, () => log.push("removed"));
        onTaskEnd(task, () => log.push("kept"));
        remove();
        ended = task;
      });
    });
    onTaskEnd(ended as Parameters<typeof onTaskEnd>[0], () => log.push("late"));
    onTaskEnd({ signal: new AbortController().signal }, () => log.push("signal owner"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(["kept", "late"]);
  });

  it("serves every resource of a long-lived task with one reaction on the task", async () => {
    await nursery(async (n) => {
      n.spawn(async (task) => {
        const then = task as unknown as { then: (...args: unknown[]) => unknown };
        const original = then.then;
        let reactions = 0;
        then.then = function (this: unknown, ...args: unknown[]) {
          reactions++;
          return original.apply(this, args);
        };
        for (let i = 0; i < 1000; i++) onTaskEnd(task, () => {})();
        await Promise.resolve();
        expect(reactions).toBe(1);
        then.then = original;
      });
    });
  });
});

describe("onTaskEnd (issue 16 siblings)", () => {
  it("regression: a task's signal, bare or as { signal }, stands for the task", async () => {
    const log: string[] = [];
    await nursery(async (n) => {
      n.spawn(async (task) => {
        onTaskEnd(task.signal, () => log.push("signal"));
        onTaskEnd({ signal: task.signal }, () => log.push("{ signal }"));
        await Promise.resolve();
      });
    });
    expect(log).toEqual(["signal", "{ signal }"]);
  });

  it("regression: a throwing callback is a cleanup error of the task, listed by its nursery", async () => {
    const boom = new Error("release failed");
    let release!: () => void;
    const outcome = await nursery(async (n) => {
      n.spawn(() => new Promise<void>((resolve) => (release = resolve)));
      n.spawn(async (task) => {
        onTaskEnd(task, () => {
          throw boom;
        });
        await Promise.resolve();
      }).then(() => setImmediate(release));
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((outcome as { errors?: unknown[] } | undefined)?.errors).toEqual([boom]);
  });
});
