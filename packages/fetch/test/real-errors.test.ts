// A real error seen while the request is being aborted stays that error: the abort's reason stands
// in only for what the abort caused (its reason itself, or an AbortError). Errors are never
// swallowed; cancellations are never reported as errors.
//
// The platform fetch is replaced by one that hands out a body stream (or a pending promise) the
// test controls, so "the error happens, and in the same tick the task is cancelled" is exact: the
// error is seen by the wrapper only after the abort, with no timing involved.
import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { CancelledError, NurseryError, nursery } from "@nursery/core";
import type { Clock, TimerHandle } from "@nursery/core";
import { fetch } from "@nursery/fetch";

const URL = "http://127.0.0.1:9/body";

afterEach(() => {
  jest.restoreAllMocks();
});

/** A body source the test errors or closes by hand; `pulled` resolves once a read is waiting on it. */
function handMadeBody(): { stream: ReadableStream<Uint8Array>; controller: () => ReadableStreamDefaultController<Uint8Array>; pulled: Promise<void> } {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let onPull!: () => void;
  const pulled = new Promise<void>((resolve) => (onPull = resolve));
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        onPull();
        return new Promise(() => {}); // a read waits until the test errors or closes the source
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, controller: () => controller as ReadableStreamDefaultController<Uint8Array>, pulled };
}

/** Replaces the platform fetch with one that answers 200 with `body`; returns the Request it was sent. */
function answerWith(body: ReadableStream<Uint8Array>): { request: () => Request | undefined } {
  let sent: Request | undefined;
  jest.spyOn(globalThis, "fetch").mockImplementation((input) => {
    sent = input as Request;
    return Promise.resolve(new Response(body, { status: 200 }));
  });
  return { request: () => sent };
}

/** A clock whose timers fire when the test says so, synchronously (VirtualClock settles first). */
class HandClock implements Clock {
  readonly #timers = new Map<TimerHandle, () => void>();
  now(): number {
    return 0;
  }
  setTimer(_ms: number, callback: () => void): TimerHandle {
    const handle = {};
    this.#timers.set(handle, callback);
    return handle;
  }
  clearTimer(handle: TimerHandle): void {
    this.#timers.delete(handle);
  }
  fire(): void {
    const due = [...this.#timers.values()];
    this.#timers.clear();
    for (const callback of due) callback();
  }
}

/** A connection reset as undici reports it. */
function connectionReset(): TypeError {
  return new TypeError("terminated", { cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }) });
}

describe("fetch: a real error seen after the abort", () => {
  it("regression: a body read that fails with a connection reset rejects with it, not with the abort reason, when the owner aborts in the same tick", async () => {
    const { stream, controller, pulled } = handMadeBody();
    answerWith(stream);
    const owner = new AbortController();
    const response = await fetch({ signal: owner.signal }, URL);
    const read = (response.body as ReadableStream<Uint8Array>).getReader().read();
    await pulled;
    const reset = connectionReset();
    controller().error(reset);
    owner.abort(new Error("owner gave up"));
    await expect(read).rejects.toBe(reset);
  });

  it("regression: a task cancelled as its body read fails with a real error fails the nursery with that error", async () => {
    const { stream, controller, pulled } = handMadeBody();
    answerWith(stream);
    const decoding = new TypeError("invalid gzip data");
    const outcome = nursery(async (n) => {
      n.spawn(async (task) => {
        const response = await fetch(task, URL);
        await response.text();
      });
      await pulled;
      controller().error(decoding);
      n.cancel();
    });
    const error = await outcome.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NurseryError);
    expect((error as NurseryError).errors).toEqual([decoding]);
  });

  it("still reports the abort reason when the body read fails with an AbortError the abort caused", async () => {
    const { stream, controller, pulled } = handMadeBody();
    const sent = answerWith(stream);
    const owner = new AbortController();
    const response = await fetch({ signal: owner.signal }, URL);
    // The source errors the way undici does when the request's signal aborts.
    sent.request()?.signal.addEventListener("abort", () => controller().error(new DOMException("This operation was aborted", "AbortError")));
    const read = (response.body as ReadableStream<Uint8Array>).getReader().read();
    await pulled;
    const reason = new CancelledError({ source: "explicit" });
    owner.abort(reason);
    await expect(read).rejects.toBe(reason);
  });

  it("regression: a request that fails with a connection reset as the owner aborts rejects with the reset", async () => {
    let fail!: (err: unknown) => void;
    jest.spyOn(globalThis, "fetch").mockImplementation(() => new Promise<Response>((_, reject) => (fail = reject)));
    const owner = new AbortController();
    const pending = fetch({ signal: owner.signal }, URL, { retry: 3 });
    expect(fail).toBeDefined();
    const reset = connectionReset();
    fail(reset);
    owner.abort(new Error("owner gave up"));
    await expect(pending).rejects.toBe(reset);
    expect(globalThis.fetch).toHaveBeenCalledTimes(1); // the owner is gone: not retried
  });

  it("regression: a request that fails with a real error as its attempt times out rejects with that error, not TimeoutError", async () => {
    let fail!: (err: unknown) => void;
    jest.spyOn(globalThis, "fetch").mockImplementation(() => new Promise<Response>((_, reject) => (fail = reject)));
    const clock = new HandClock();
    const owner = new AbortController();
    const pending = fetch({ signal: owner.signal }, URL, { timeout: 1_000, clock });
    expect(fail).toBeDefined();
    const broken = new Error("the server's answer could not be parsed");
    fail(broken);
    clock.fire(); // the attempt's timeout passes in this same tick
    await expect(pending).rejects.toBe(broken);
  });
});
