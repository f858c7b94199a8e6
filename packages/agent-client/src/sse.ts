// The reader of server-sent events (text/event-stream) that every client of
// an agent's decision stream uses: feed it chunks as they arrive, get whole
// events back. eventsource-parser does the parsing; this adds what a reader
// of an untrusted upstream needs around it: a bound on what one unfinished
// event may hold (an agent that never ends a line or an event makes push()
// throw instead of growing the process), the event type defaulted to
// `message` as the SSE specification says, and the last event id kept for
// Last-Event-ID.
import { createParser, type EventSourceParser } from 'eventsource-parser';

/** The most text one event (its unfinished line and its data so far) may take. */
export const MAX_EVENT_CHARS = 1024 * 1024;

export interface ServerSentEvent {
  id?: string;
  event: string;
  data: string;
  /** A `retry:` the server sent since the previous event (milliseconds before reconnecting). */
  retry?: number;
}

export interface SseReaderOptions {
  maxEventChars?: number;
  /** Every valid `retry:` field, as it comes (it may come in an event without data, which push() does not return). */
  onRetry?: (ms: number) => void;
}

export class SseReader {
  private readonly parser: EventSourceParser;
  private readonly maxEventChars: number;
  private events: ServerSentEvent[] = [];
  private retry: number | undefined;
  private overflow = false;
  /** The last id seen, as SSE clients resend it in Last-Event-ID. */
  lastEventId: string | undefined;

  constructor(options: SseReaderOptions = {}) {
    this.maxEventChars = options.maxEventChars ?? MAX_EVENT_CHARS;
    this.parser = createParser({
      // The parser counts its unfinished line and the event's data together.
      maxBufferSize: this.maxEventChars,
      onEvent: (message) => {
        const event: ServerSentEvent = { event: message.event ?? 'message', data: message.data };
        if (message.id !== undefined) {
          event.id = message.id;
          this.lastEventId = message.id;
        }
        if (this.retry !== undefined) {
          event.retry = this.retry;
          this.retry = undefined;
        }
        this.events.push(event);
      },
      onRetry: (ms) => {
        this.retry = ms;
        options.onRetry?.(ms);
      },
      onError: (error) => {
        // Unknown fields and malformed retry values are ignored, as the
        // specification says; only the bound ends the stream.
        if (error.type === 'max-buffer-size-exceeded') {
          this.overflow = true;
        }
      },
    });
  }

  /** The events this chunk completed, in order; throws once an event outgrows the bound. */
  push(chunk: string): ServerSentEvent[] {
    if (this.overflow) {
      throw this.overflowError();
    }
    this.parser.feed(chunk);
    const events = this.events;
    this.events = [];
    if (this.overflow) {
      throw this.overflowError();
    }
    return events;
  }

  private overflowError(): Error {
    return new Error(`sent an event longer than ${this.maxEventChars} characters without ending it`);
  }
}
