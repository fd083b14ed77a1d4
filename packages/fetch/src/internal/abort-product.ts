// Whether an error a request saw is what its abort caused, or a real failure to report as itself.
//
// The rule is the adapter kit's `isCancelledBy`: the abort's reason itself, or an AbortError raised
// once the signal aborted. One platform needs more: workerd's fetch rejects an aborted request with
// a fresh plain `Error` whose message is the reason turned into a string (`"CancelledError:
// cancelled: ..."`), so neither identity nor the error's name tells. That exact message is the
// abort's mark; a real failure (a reset, a refused connection) never carries it. Test:
// runtimes/test/workerd.test.ts ("cancels the other upstream fetches newest-first").
import { isCancelledBy } from "@nursery/core/adapter";

/** True when `err` is the abort of `signal` (see the header); false while `signal` is not aborted. */
export function isAbortOf(err: unknown, signal: AbortSignal): boolean {
  if (isCancelledBy(err, signal)) return true;
  if (!signal.aborted || !(err instanceof Error)) return false;
  try {
    return err.message === String(signal.reason);
  } catch {
    return false; // a reason that cannot be turned into a string marks nothing
  }
}
