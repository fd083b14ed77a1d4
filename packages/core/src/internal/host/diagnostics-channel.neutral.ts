// Runtimes without node:diagnostics_channel (browsers, workerd; package.json `imports`, default
// condition): the same publish/subscribe contract in process. Channels are looked up by name in one
// registry per global, as Node's are, so two installed copies of core publish to the same
// subscribers. A subscriber that throws does not stop the others or the publisher; its error is
// rethrown in a microtask, where the page reports it (Node rethrows it on the next tick).
import type { DiagnosticsChannel } from "../../diagnostics.js";

type Subscriber = (message: unknown, name: string | symbol) => void;

class InProcessChannel implements DiagnosticsChannel {
  readonly name: string;
  // Replaced, never mutated, so a publish that is iterating keeps the list it started with.
  #subscribers: readonly Subscriber[] = [];

  constructor(name: string) {
    this.name = name;
  }

  get hasSubscribers(): boolean {
    return this.#subscribers.length > 0;
  }

  publish(message: unknown): void {
    for (const fn of this.#subscribers) {
      try {
        fn(message, this.name);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  subscribe(fn: Subscriber): void {
    this.#subscribers = [...this.#subscribers, fn];
  }

  unsubscribe(fn: Subscriber): boolean {
    const at = this.#subscribers.indexOf(fn);
    if (at < 0) return false;
    this.#subscribers = this.#subscribers.filter((_, i) => i !== at);
    return true;
  }
}

const registry = ((globalThis as Record<symbol, unknown>)[Symbol.for("@nursery/core.channels")] ??= new Map()) as Map<
  string,
  DiagnosticsChannel
>;

export function channel(name: string): DiagnosticsChannel {
  let found = registry.get(name);
  if (found === undefined) registry.set(name, (found = new InProcessChannel(name)));
  return found;
}
