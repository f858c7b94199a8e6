// Typed HTTP errors. A handler throws one; the server answers with its status
// and a JSON body `{"error": "<message>"}` a user can act on.
export class HttpError extends Error {
  readonly status: number;
  /** Extra response headers, e.g. Allow or Retry-After. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, headers: Readonly<Record<string, string>> = {}) {
    // An answer, not a fault: its stack is never shown, and capturing one
    // was a tenth of the agent's work under a flood of refused requests.
    const depth = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = depth;
    this.status = status;
    this.headers = headers;
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const notFound = (message = 'not found') => new HttpError(404, message);
export const conflict = (message: string) => new HttpError(409, message);
export const payloadTooLarge = (limit: number) => new HttpError(413, `request body larger than ${limit} bytes`);
export const serviceUnavailable = (message: string, retryAfterSeconds?: number) =>
  new HttpError(503, message, retryAfterSeconds ? { 'Retry-After': String(retryAfterSeconds) } : {});
