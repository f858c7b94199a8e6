// An error from something the data source talks to (Prometheus, an agent),
// worded as "<who>: <what>", for example "Prometheus at http://p:9090: 401
// Unauthorized" or "agent 10.0.0.3:9090: connection refused".
import { TransportError } from './http';

export type UpstreamErrorKind = 'network' | 'timeout' | 'cancelled' | 'tls' | 'too-large' | 'http' | 'api' | 'response';

export class UpstreamError extends Error {
  constructor(
    /** Who failed, e.g. `Prometheus at http://p:9090` or `agent 10.0.0.3:9090`. */
    readonly upstream: string,
    readonly detail: string,
    readonly kind: UpstreamErrorKind,
    /** The upstream's HTTP status, when it answered. */
    readonly httpStatus?: number,
    options?: { cause?: unknown }
  ) {
    super(`${upstream}: ${detail}`, options);
  }

  /** The status Grafana gets for a query this error failed. */
  get status(): number {
    if (this.kind === 'timeout') {
      return 504;
    }
    if (this.kind === 'api' && this.httpStatus === 400) {
      // Prometheus rejected the query itself (bad PromQL): the user's to fix.
      return 400;
    }
    return 502;
  }

  static from(upstream: string, error: unknown): UpstreamError {
    if (error instanceof UpstreamError) {
      return error;
    }
    if (error instanceof TransportError) {
      return new UpstreamError(upstream, error.message, error.kind, undefined, { cause: error });
    }
    return new UpstreamError(upstream, error instanceof Error ? error.message : String(error), 'network', undefined, {
      cause: error,
    });
  }
}

/** `401 Unauthorized`, plus the first line of the body when it says more. */
export function httpStatusText(status: number, statusText: string, body: Buffer): string {
  const head = `${status}${statusText ? ` ${statusText}` : ''}`;
  const text = body.toString('utf8', 0, Math.min(body.length, 300)).trim().split('\n')[0];
  return text && text.toLowerCase() !== statusText.toLowerCase() ? `${head}: ${text}` : head;
}
