// Binds a response body to its operation. The Response handed to the user wraps undici's body in a
// pull-only byte stream (highWaterMark 0, so nothing is read ahead of the user) that
//   - tells the operation when the body is done (read to the end, cancelled, or failed), which is
//     when the request really ends: its listener, deadline timer and limiter slot are released then;
//   - refuses to read once the operation is aborted (rejecting with the abort reason itself, e.g.
//     the task's CancelledError) or once the owning task has returned (TaskEndedError);
//   - reports a read that failed with its own error, even when the operation was aborted by then:
//     the abort reason stands in only for what the abort caused (`isAbortOf`).
// undici alone would reject a read after abort with a fresh DOMException, not the task's reason.
//
// On abort, undici's stream is cancelled at once rather than waiting for undici to error it.
//
// A body that is never read nor cancelled would keep its slot, listener and socket until the task
// is cancelled. As a safety net (undici has the same one for its own unlocked bodies, which our
// reader locks), the operation is aborted when the wrapping stream is garbage-collected.
import { EXCERPT_BYTES, HttpError, TaskEndedError } from "../errors.js";
import { isAbortOf } from "./abort-product.js";
import type { Operation } from "./operation.js";

const noop = (): void => {};

const unread = new FinalizationRegistry<Operation>((op) => {
  op.abort(new DOMException("the response body was garbage-collected before it was read", "AbortError"));
});

/** Returns a Response whose body is bound to `op`; `op` finishes when the body is done. */
export function bindResponse(op: Operation, response: Response, method: string): Response {
  const source = response.body;
  if (source === null) {
    op.finish();
    return response;
  }
  const reader = (source as ReadableStream<Uint8Array>).getReader();
  const url = response.url;
  // From here on, a use after the task ended is a read of this body.
  op.ended = (): TaskEndedError => new TaskEndedError(method, url, op.owner.name, "read");
  const settle = (): void => {
    op.finish();
    unread.unregister(op);
  };
  // On abort, cancel undici's stream at once: a read in flight then ends, and `pull` errors the
  // wrapper with the abort reason. Only `reader` is captured, never the wrapper or its controller:
  // what the operation refers to lives as long as the task's signal, and would defeat `unread`.
  op.onAbortBody((reason) => {
    unread.unregister(op);
    reader.cancel(reason).catch(noop);
  });
  const body = new ReadableStream(
    {
      type: "bytes",
      async pull(controller) {
        const stop = op.stopReason();
        if (stop !== undefined) {
          settle();
          reader.cancel(stop).catch(noop);
          controller.error(stop);
          return;
        }
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          // The abort reason replaces only what the abort caused; a real error (a connection
          // reset, a decoding error) seen after the abort is still that error.
          const reason: unknown = isAbortOf(err, op.signal) ? op.signal.reason : err;
          settle();
          controller.error(reason);
          return;
        }
        if (op.signal.aborted) {
          // Aborted while the read was in flight: a cancelled read hands over nothing.
          settle();
          controller.error(op.signal.reason);
        } else if (chunk.done) {
          settle();
          controller.close();
          controller.byobRequest?.respond(0);
        } else {
          controller.enqueue(chunk.value);
        }
      },
      cancel(reason) {
        settle();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  unread.register(body, op, op);
  const bound = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  // A constructed Response has an empty url and type "default"; keep what the server's response said.
  Object.defineProperties(bound, {
    url: { value: url, enumerable: true },
    redirected: { value: response.redirected, enumerable: true },
    type: { value: response.type, enumerable: true },
  });
  return bound;
}

/** Reads at most EXCERPT_BYTES of `response`'s body, discards the rest, and builds the HttpError. */
export async function toHttpError(response: Response, method: string): Promise<HttpError> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  const body = response.body as ReadableStream<Uint8Array> | null;
  if (body !== null) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size > EXCERPT_BYTES) {
        truncated = true;
        await reader.cancel();
        break;
      }
    }
  }
  const bytes = new Uint8Array(Math.min(size, EXCERPT_BYTES));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.byteLength - offset);
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return new HttpError({
    method,
    url: response.url,
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    // `stream: true` holds back a multi-byte character cut in half instead of emitting U+FFFD.
    excerpt: new TextDecoder().decode(bytes, { stream: truncated }),
    truncated,
  });
}
