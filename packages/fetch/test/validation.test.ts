import { describe, expect, it } from "@jest/globals";
import { nursery, type Nursery, type TaskContext } from "@nursery/core";
import { expectTypeOf } from "expect-type";
import { fetch, Limiter, type FetchInit, type FetchTask } from "@nursery/fetch";

// Nothing here reaches the network: every call is refused before a request is made (port 9 is
// the discard port, so a request that did slip through would fail as a network error instead).
const URL_OK = "http://127.0.0.1:9/";
const owner = (): FetchTask => ({ signal: new AbortController().signal });

describe("fetch types", () => {
  it("does not accept `signal` in init, at compile time or at run time", async () => {
    const controller = new AbortController();
    // @ts-expect-error the task owns the request's signal
    const literal = fetch(owner(), URL_OK, { signal: controller.signal });
    await expect(literal).rejects.toThrow(
      "Expected `init.signal` to be absent (the task owns the request's signal; pass yours as `extraSignal`), got `[object AbortSignal]` (object)",
    );
    const init = { signal: controller.signal, method: "GET" };
    // @ts-expect-error a variable holding a signal is refused too, not only a literal
    await expect(fetch(owner(), URL_OK, init)).rejects.toThrow(TypeError);
    expectTypeOf<FetchInit>().toMatchTypeOf<{ signal?: undefined }>();
    expectTypeOf<{ extraSignal: AbortSignal; timeout: number; retry: number }>().toMatchTypeOf<FetchInit>();
  });

  it("takes a task context, a nursery or any { signal } as the owner, and resolves with a Response", () => {
    expectTypeOf<TaskContext>().toMatchTypeOf<FetchTask>();
    expectTypeOf<Nursery>().toMatchTypeOf<FetchTask>();
    expectTypeOf<{ signal: AbortSignal }>().toMatchTypeOf<FetchTask>();
    expectTypeOf(fetch).returns.toEqualTypeOf<Promise<Response>>();
    expectTypeOf(fetch).parameter(1).toEqualTypeOf<string | URL>();
  });
});

describe("fetch bad input", () => {
  const cases: [string, () => Promise<unknown>, string][] = [
    ["a relative URL", () => fetch(owner(), "/path"), 'Expected `input` to be an absolute http(s) URL, got `"/path"` (string)'],
    ["a non-http URL", () => fetch(owner(), "ftp://example.com/"), 'Expected `input` to be an absolute http(s) URL, got `"ftp://example.com/"` (string)'],
    ["a number as URL", () => fetch(owner(), 42 as never), "Expected `input` to be an absolute http(s) URL, got `42` (number)"],
    ["a negative timeout", () => fetch(owner(), URL_OK, { timeout: -1 }), "Expected `timeout` to be a number >= 0 or Infinity, got `-1` (number)"],
    ["a NaN deadline", () => fetch(owner(), URL_OK, { deadline: NaN }), "Expected `deadline` to be a number >= 0 or Infinity, got `NaN` (number)"],
    ["a negative retry", () => fetch(owner(), URL_OK, { retry: -1 }), "Expected `retry` to be an integer >= 0, got `-1` (number)"],
    ["a fractional retry limit", () => fetch(owner(), URL_OK, { retry: { limit: 1.5 } }), "Expected `retry.limit` to be an integer >= 0, got `1.5` (number)"],
    ["a bad retry status", () => fetch(owner(), URL_OK, { retry: { limit: 1, statusCodes: [700] } }), "Expected `retry.statusCodes` to be an array of HTTP statuses, got `[array(1)]` (object)"],
    ["a negative maxRetryAfter", () => fetch(owner(), URL_OK, { retry: { limit: 1, maxRetryAfter: -5 } }), "Expected `retry.maxRetryAfter` to be a number >= 0 or Infinity, got `-5` (number)"],
    ["a limiter that is not one", () => fetch(owner(), URL_OK, { limiter: { limit: 2 } as never }), "Expected `limiter` to be a Limiter, got `[object Object]` (object)"],
    ["a non-signal extraSignal", () => fetch(owner(), URL_OK, { extraSignal: {} as never }), "Expected `extraSignal` to be an AbortSignal, got `[object Object]` (object)"],
    ["a missing task", () => fetch(undefined as never, URL_OK), "Expected `task` to be a task, a nursery or an object with an AbortSignal `signal`, got `undefined` (undefined)"],
  ];

  for (const [what, call, message] of cases) {
    it(`rejects ${what} with a TypeError in the house shape`, async () => {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toBe(message);
    });
  }

  it("checks input before looking at the signal, so a bad call fails even in a cancelled task", async () => {
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        await new Promise((resolve) => task.signal.addEventListener("abort", resolve));
        await expect(fetch(task, "not a url")).rejects.toThrow(TypeError);
      });
      t.cancel();
    });
  });

  it("rejects non-positive limits on the Limiter", () => {
    expect(() => new Limiter({ limit: -3 })).toThrow("Expected `limit` to be an integer >= 1 or Infinity, got `-3` (number)");
  });
});
