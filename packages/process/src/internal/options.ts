// Checks and defaults for exec() and spawnProcess(): every bad argument is a TypeError thrown before
// anything is spawned.
import { constants } from "node:os";
import { realClock } from "@nursery/core";
import {
  checkBoolean,
  checkClock,
  checkDuration,
  checkOneOf,
  invalidArgument as invalid,
  isAbortSignal,
} from "@nursery/core/adapter";
import type { Clock } from "@nursery/core";
import type { ProcessOwner, StdioMode } from "../options.js";
import { POSIX } from "./process-group.js";

const STDIO_MODES: readonly StdioMode[] = ["pipe", "ignore", "inherit"];

export interface ChildSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string | undefined;
  readonly env: NodeJS.ProcessEnv | undefined;
  readonly stdin: StdioMode;
  readonly stdout: StdioMode;
  readonly stderr: StdioMode;
  readonly killSignal: NodeJS.Signals;
  readonly grace: number;
  readonly clock: Clock;
  readonly allowNonZero: boolean;
  readonly group: boolean;
  /** Unread output per stream, in bytes, above which the pipe is paused. */
  readonly bufferLimit: number;
}

export const DEFAULT_GRACE = 5000;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** A signal name this platform knows, such as `"SIGTERM"`. */
export function checkSignalName(name: string, value: unknown): NodeJS.Signals {
  if (typeof value !== "string" || !Object.hasOwn(constants.signals, value)) {
    throw invalid(name, 'a signal name such as "SIGTERM"', value);
  }
  return value as NodeJS.Signals;
}

export function checkOwner(owner: unknown): ProcessOwner {
  if (!isObject(owner)) throw invalid("task", "a task or an object with an AbortSignal `signal`", owner);
  if (!isAbortSignal(owner["signal"])) throw invalid("task.signal", "an AbortSignal", owner["signal"]);
  return owner as unknown as ProcessOwner;
}

export function checkCommand(command: unknown, args: unknown): { command: string; args: readonly string[] } {
  if (typeof command !== "string" || command === "") throw invalid("command", "a non-empty string", command);
  if (command.includes("\0")) throw invalid("command", "a string without NUL characters", command);
  if (args === undefined) return { command, args: [] };
  if (!Array.isArray(args)) throw invalid("args", "an array of strings", args);
  // Indexed, not forEach: forEach skips the holes of a sparse array, which spawn() would pass as "undefined".
  for (let i = 0; i < args.length; i++) {
    const arg: unknown = args[i];
    if (typeof arg !== "string") throw invalid(`args[${i}]`, "a string", arg);
    if (arg.includes("\0")) throw invalid(`args[${i}]`, "a string without NUL characters", arg);
  }
  return { command, args: [...(args as string[])] };
}

/** Validates the shared options; `stdin` and `bufferLimit` are decided by the caller. */
export function checkOptions(
  owner: ProcessOwner,
  options: unknown,
): Omit<ChildSpec, "command" | "args" | "stdin" | "bufferLimit"> & { raw: Record<string, unknown> } {
  if (options !== undefined && !isObject(options)) throw invalid("options", "an options object", options);
  const o = options ?? {};
  const cwd = o["cwd"];
  if (cwd !== undefined && typeof cwd !== "string") throw invalid("cwd", "a string", cwd);
  const env = o["env"];
  if (env !== undefined && !isObject(env)) throw invalid("env", "an object of strings", env);
  // Only an absent clock falls back: `clock: null` is a wrong type, as everywhere else.
  const clock: Clock = checkClock("clock", o["clock"] === undefined ? (owner.clock ?? realClock) : o["clock"]);
  return {
    raw: o,
    cwd,
    env: env as NodeJS.ProcessEnv | undefined,
    stdout: o["stdout"] === undefined ? "pipe" : checkOneOf("stdout", o["stdout"], STDIO_MODES),
    stderr: o["stderr"] === undefined ? "pipe" : checkOneOf("stderr", o["stderr"], STDIO_MODES),
    killSignal: o["killSignal"] === undefined ? "SIGTERM" : checkSignalName("killSignal", o["killSignal"]),
    grace: o["grace"] === undefined ? DEFAULT_GRACE : checkDuration("grace", o["grace"]),
    clock,
    allowNonZero: o["allowNonZero"] === undefined ? false : checkBoolean("allowNonZero", o["allowNonZero"]),
    group: POSIX && (o["processGroup"] === undefined ? true : checkBoolean("processGroup", o["processGroup"])),
  };
}

export function checkStdin(value: unknown, fallback: StdioMode): StdioMode {
  return value === undefined ? fallback : checkOneOf("stdin", value, STDIO_MODES);
}
