// The owner of a pool or a job: a nursery, or a task (whose nursery it joins). The message is the
// adapter kit's TypeError, like every other argument check of this package.
import type { Nursery, TaskContext } from "@nursery/core";
import { invalidArgument, isRecord } from "@nursery/core/adapter";

/** The nursery a job or pool joins: the owner itself when it is a nursery, else the task's nursery. */
export function checkOwner(name: string, owner: unknown): { nursery: Nursery; task: TaskContext | undefined } {
  if (isRecord(owner)) {
    if (typeof owner["spawn"] === "function") return { nursery: owner as unknown as Nursery, task: undefined };
    const nursery = owner["nursery"];
    if (isRecord(nursery) && typeof nursery["spawn"] === "function") {
      return { nursery: nursery as unknown as Nursery, task: owner as unknown as TaskContext };
    }
  }
  throw invalidArgument(name, "a nursery or a task", owner);
}
