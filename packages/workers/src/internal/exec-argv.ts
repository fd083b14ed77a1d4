// execArgv is checked by Node when a thread is created. piscina creates its first threads in its
// constructor, unless minThreads is 0: then the first job's thread is the first to be created, the
// flags are refused inside piscina's run() after it queued the job, and the job's promise is never
// returned, so the job, its nursery and close() waited forever. A pool with minThreads 0 therefore
// has its flags checked at openPool() by a thread that is started and ended at once; either way a
// refused flag is a TypeError naming `execArgv`, with Node's error as its cause.
import { Worker } from "node:worker_threads";
import { invalidArgument } from "@nursery/core/adapter";

/** Whether `err` is Node's refusal of a worker's execArgv. */
function refusedFlags(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "ERR_WORKER_INVALID_EXEC_ARGV";
}

/** `err` as the TypeError naming `execArgv` when it is Node's refusal of those flags, else `err`. */
export function execArgvError(err: unknown, argv: readonly string[]): unknown {
  if (!refusedFlags(err)) return err;
  const error = invalidArgument("execArgv", "flags a worker thread accepts", argv);
  error.cause = err;
  return error;
}

/** Throws execArgvError() when Node refuses `argv` for a worker thread. */
export function checkExecArgv(argv: readonly string[]): void {
  if (argv.length === 0) return;
  let probe: Worker;
  try {
    probe = new Worker("", { eval: true, execArgv: [...argv] });
  } catch (err) {
    throw execArgvError(err, argv);
  }
  probe.unref();
  void probe.terminate();
}
