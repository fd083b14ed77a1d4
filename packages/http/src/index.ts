// @nursery/http: a Node HTTP server run as a task.
export { serve, type HttpServer } from "./serve.js";
export { requestTask } from "./request-task.js";
export type { RequestHandler, RequestErrorContext, ServeOptions, ShutdownPhase } from "./options.js";
export { webHandler, type WebHandler } from "./web.js";
