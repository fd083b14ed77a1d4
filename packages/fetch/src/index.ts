// @nursery/fetch: the table of contents.
export { fetch, type FetchTask, type FetchInput, type FetchInit, type FetchOptions } from "./fetch.js";
export { Limiter, type LimiterOptions, type AcquireOptions, type LimiterSlot } from "./limiter.js";
export {
  backoffDelay,
  DEFAULT_RETRY_METHODS,
  DEFAULT_RETRY_STATUS_CODES,
  type RetryOptions,
} from "./retry.js";
export { HttpError, TaskEndedError, EXCERPT_BYTES, type HttpErrorInit } from "./errors.js";
