// Signalling a child and everything it started.
//
// On POSIX the child is spawned with `detached: true`, which makes it the leader of a new session and
// process group (setsid), so `process.kill(-pid, sig)` reaches it and every descendant that did not
// move itself to another group: `sh -c 'sleep 60 & wait'` loses both the shell and the sleep.
// Without a group, only the direct child is signalled and grandchildren are orphaned.
//
// A group id stays reserved while any member (even a zombie) exists, so signalling `-pid` after the
// leader exited still reaches the stragglers. Once the group is seen empty we never signal it again:
// the id could then be reused by an unrelated group.
//
// Windows has no signals or groups: Node's `kill()` is TerminateProcess on the direct child, at once,
// whatever the signal; grandchildren are not reached (see the package README).
import type { ChildProcess } from "node:child_process";

export const POSIX = process.platform !== "win32";

/** Sends `sig` to the child's group (or to the child alone); false when nothing was there to signal. */
export function sendSignal(child: ChildProcess, sig: NodeJS.Signals, group: boolean): boolean {
  const pid = child.pid;
  if (pid === undefined) return false;
  if (group) {
    try {
      process.kill(-pid, sig);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
      // EPERM: a member we may not signal (setuid); at least reach the child itself.
    }
  }
  return child.exitCode === null && child.signalCode === null ? child.kill(sig) : false;
}

/** True while any process of the group `pid` exists (zombies included: they still hold the id). */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
