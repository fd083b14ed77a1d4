// Bad input throws a TypeError in the house shape, synchronously, before anything is spawned.
import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { exec, spawnProcess } from "@nursery/process";

const childProcess = require("node:child_process") as typeof import("node:child_process");

afterEach(() => {
  jest.restoreAllMocks();
});

const owner = new AbortController();

const cases: [string, unknown[], string][] = [
  ["a missing command", [owner, undefined], "Expected `command` to be a non-empty string, got `undefined` (undefined)"],
  ["an empty command", [owner, ""], 'Expected `command` to be a non-empty string, got `""` (string)'],
  ["args that are not an array", [owner, "ls", "-l"], 'Expected `args` to be an array of strings, got `"-l"` (string)'],
  ["a non-string argument", [owner, "ls", ["-l", 1]], "Expected `args[1]` to be a string, got `1` (number)"],
  ["a NUL character in an argument", [owner, "ls", ["a\0b"]], 'Expected `args[0]` to be a string without NUL characters, got `"a\\u0000b"` (string)'],
  ["a negative grace", [owner, "ls", [], { grace: -1 }], "Expected `grace` to be a number >= 0 or Infinity, got `-1` (number)"],
  ["a NaN grace", [owner, "ls", [], { grace: NaN }], "Expected `grace` to be a number >= 0 or Infinity, got `NaN` (number)"],
  ["an unknown killSignal", [owner, "ls", [], { killSignal: "SIGNOPE" }], 'Expected `killSignal` to be a signal name such as "SIGTERM", got `"SIGNOPE"` (string)'],
  ["a missing task", [undefined, "ls"], "Expected `task` to be a task or an object with an AbortSignal `signal`, got `undefined` (undefined)"],
  ["a task without a signal", [{}, "ls"], "Expected `task.signal` to be an AbortSignal, got `undefined` (undefined)"],
  ["options that are not an object", [owner, "ls", [], 5], "Expected `options` to be an options object, got `5` (number)"],
  ["a non-boolean allowNonZero", [owner, "ls", [], { allowNonZero: 1 }], "Expected `allowNonZero` to be a boolean, got `1` (number)"],
  ["an unknown stdout mode", [owner, "ls", [], { stdout: "file" }], 'Expected `stdout` to be "pipe", "ignore" or "inherit", got `"file"` (string)'],
  ["a non-string cwd", [owner, "ls", [], { cwd: 1 }], "Expected `cwd` to be a string, got `1` (number)"],
  ["a clock without timers", [owner, "ls", [], { clock: {} }], "Expected `clock` to be a Clock (now, setTimer, clearTimer), got `[object Object]` (object)"],
];

describe.each([
  ["exec", exec as (...args: unknown[]) => unknown],
  ["spawnProcess", spawnProcess as (...args: unknown[]) => unknown],
])("%s", (_name, fn) => {
  it.each(cases)("throws a TypeError for %s", (_what, args, message) => {
    const spawn = jest.spyOn(childProcess, "spawn");
    expect(() => fn(...args)).toThrow(new TypeError(message));
    expect(spawn).not.toHaveBeenCalled();
  });
});

describe("exec", () => {
  it("throws a TypeError for an input that is neither a string nor bytes", () => {
    expect(() => exec(owner, "cat", [], { input: 5 as never })).toThrow(
      new TypeError("Expected `input` to be a string or a Uint8Array, got `5` (number)"),
    );
  });

  it("throws a TypeError when both input and stdin are given", () => {
    expect(() => exec(owner, "cat", [], { input: "x", stdin: "inherit" })).toThrow(
      new TypeError('Expected `stdin` to be undefined when `input` is given, got `"inherit"` (string)'),
    );
  });
});

describe("spawnProcess", () => {
  it("throws a TypeError for a bufferLimit of 0", () => {
    expect(() => spawnProcess(owner, "cat", [], { bufferLimit: 0 })).toThrow(
      new TypeError("Expected `bufferLimit` to be a number > 0 or Infinity, got `0` (number)"),
    );
  });

  it("throws a TypeError for a lines() signal that is not an AbortSignal", async () => {
    const controller = new AbortController();
    const proc = spawnProcess(controller, "true", [], { stdin: "ignore" });
    expect(() => proc.stdout.lines({ signal: "soon" as never })).toThrow(
      new TypeError('Expected `signal` to be an AbortSignal, got `"soon"` (string)'),
    );
    await proc.exited;
  });

  it("throws a TypeError for kill() with an unknown signal", async () => {
    const controller = new AbortController();
    const proc = spawnProcess(controller, "true", [], { stdin: "ignore" });
    expect(() => proc.kill("SIGNOPE" as NodeJS.Signals)).toThrow(
      new TypeError('Expected `signal` to be a signal name such as "SIGTERM", got `"SIGNOPE"` (string)'),
    );
    await proc.exited;
  });
});
