import { describe, it, expect, jest, beforeEach, afterEach } from "@jest/globals";
import { realClock } from "@nursery/core";

// realClock is a thin layer over setTimeout and performance.now; jest's fake timers stand in for
// both here, so these tests move time without sleeping.
describe("realClock", () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it("fires a timer once, after its delay and not before", () => {
    const callback = jest.fn();
    realClock.setTimer(100, callback);
    jest.advanceTimersByTime(99);
    expect(callback).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(callback).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1_000);
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it("never fires an Infinity timer and sets no real timer for it", () => {
    const callback = jest.fn();
    const before = jest.getTimerCount();
    const handle = realClock.setTimer(Infinity, callback);
    expect(jest.getTimerCount()).toBe(before);
    jest.advanceTimersByTime(2 ** 40);
    realClock.clearTimer(handle);
    expect(callback).not.toHaveBeenCalled();
  });

  it("cancels a timer with clearTimer, and ignores a second clear or a clear after firing", () => {
    const cleared = jest.fn();
    const fired = jest.fn();
    const a = realClock.setTimer(10, cleared);
    const b = realClock.setTimer(10, fired);
    realClock.clearTimer(a);
    realClock.clearTimer(a);
    jest.advanceTimersByTime(10);
    realClock.clearTimer(b);
    expect(cleared).not.toHaveBeenCalled();
    expect(fired).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("runs delays above 2^31-1 ms in chunks: neither early nor clamped to 1 ms", () => {
    const callback = jest.fn();
    const day = 24 * 3_600_000;
    const delay = 40 * day; // > 2^31-1 ms (about 24.8 days)
    const handle = realClock.setTimer(delay, callback);
    jest.advanceTimersByTime(1);
    expect(callback).not.toHaveBeenCalled();
    jest.advanceTimersByTime(2 ** 31);
    expect(callback).not.toHaveBeenCalled();
    jest.advanceTimersByTime(delay - 1 - 2 ** 31 - 1);
    expect(callback).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(callback).toHaveBeenCalledTimes(1);
    realClock.clearTimer(handle);
  });

  it("cancels a chunked timer between chunks", () => {
    const callback = jest.fn();
    const handle = realClock.setTimer(2 ** 33, callback);
    jest.advanceTimersByTime(2 ** 31);
    realClock.clearTimer(handle);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(2 ** 34);
    expect(callback).not.toHaveBeenCalled();
  });

  it("reads time from performance.now()", () => {
    const start = realClock.now();
    jest.advanceTimersByTime(1_234);
    expect(realClock.now() - start).toBe(1_234);
  });
});
