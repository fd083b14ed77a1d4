import { describe, expect, it } from "@jest/globals";
import { onProcessExit } from "@nursery/core/adapter";
import { runExitHooks } from "../src/exit-hooks.js";

const exitListeners = (): number => process.listenerCount("exit");

describe("onProcessExit", () => {
  it("runs every hook once, newest first, when the exit hooks run", () => {
    const log: string[] = [];
    onProcessExit(() => log.push("first"));
    onProcessExit(() => log.push("second"));
    expect(runExitHooks()).toEqual([]);
    expect(runExitHooks()).toEqual([]);
    expect(log).toEqual(["second", "first"]);
  });

  it("does not run a hook whose remover was called", () => {
    const log: string[] = [];
    const remove = onProcessExit(() => log.push("removed"));
    onProcessExit(() => log.push("kept"));
    remove();
    remove();
    runExitHooks();
    expect(log).toEqual(["kept"]);
  });

  it("keeps running the other hooks when one throws, and returns what it threw", () => {
    const log: string[] = [];
    const boom = new Error("hook failed");
    onProcessExit(() => log.push("older"));
    onProcessExit(() => {
      throw boom;
    });
    expect(runExitHooks()).toEqual([boom]);
    expect(log).toEqual(["older"]);
  });

  it("has one process 'exit' listener exactly while a hook is registered", () => {
    const before = exitListeners();
    const a = onProcessExit(() => undefined);
    const b = onProcessExit(() => undefined);
    expect(exitListeners()).toBe(before + 1);
    a();
    expect(exitListeners()).toBe(before + 1);
    b();
    expect(exitListeners()).toBe(before);
    onProcessExit(() => undefined);
    runExitHooks();
    expect(exitListeners()).toBe(before);
  });

  it("rejects a hook that is not a function with a TypeError naming it", () => {
    expect(() => onProcessExit(42 as never)).toThrow("Expected `hook` to be a function, got `42` (number)");
  });
});
