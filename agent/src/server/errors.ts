// Typed HTTP errors. A handler throws one; the server answers with its status
// and a JSON body `{"error": "<message>"}` a user can act on.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Allow or Retry-After. */
    readonly headers: Readonly<Record<string, string>> = {}
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const notFound = (message = 'not found') => new HttpError(404, message);
export const conflict = (message: string) => new HttpError(409, message);
export const payloadTooLarge = (limit: number) => new HttpError(413, `request body larger than ${limit} bytes`);
export const serviceUnavailable = (message: string, retryAfterSeconds?: number) =>
  new HttpError(503, message, retryAfterSeconds ? { 'Retry-After': String(retryAfterSeconds) } : {});
