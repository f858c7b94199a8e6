// The `date` header of every gRPC answer, set by the plugin rather than by
// Node. Node's HTTP/2 server adds one to each response that lacks it, made by
// Date#toUTCString, and in Node 20's V8 that looks up the local time zone and
// its display name through ICU although the result is UTC: the first answer
// of a plugin then loads ICU's time zone code and data, about 1 MiB of the
// executable's pages that stay resident (docs/benchmarks.md). The same text
// from the Date's UTC fields needs none of it. (Go's gRPC server sends no
// `date` at all; Node's sends one whenever the header is missing.)
import { Metadata, ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** RFC 9110's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, as Date#toUTCString writes it for years 1000 to 9999. */
export function httpDate(date = new Date()): string {
  return (
    `${DAYS[date.getUTCDay()]}, ${two(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} GMT`
  );
}

/**
 * Puts `date` in the response headers of every call: in its metadata, or, for
 * a call that fails before sending any (a trailers-only response, whose status
 * metadata are the headers), in its status metadata.
 */
export const dateHeader: ServerInterceptor = (_method, call) => {
  let headersSent = false;
  return new ServerInterceptingCall(call, {
    sendMetadata(metadata, next) {
      headersSent = true;
      metadata.set('date', httpDate());
      next(metadata);
    },
    sendStatus(status, next) {
      if (headersSent) {
        next(status);
        return;
      }
      const metadata = status.metadata?.clone() ?? new Metadata();
      metadata.set('date', httpDate());
      next({ ...status, metadata });
    },
  });
};
