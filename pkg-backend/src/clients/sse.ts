// A parser for server-sent events (the text/event-stream format): feed it
// chunks as they arrive, get whole events back. What it holds of an event
// not yet complete is bounded: an upstream that never ends a line or an
// event makes push() throw instead of growing the process.

/** The most text one event (its lines so far) may take. */
export const MAX_EVENT_CHARS = 1024 * 1024;

export interface ServerSentEvent {
  id?: string;
  event: string;
  data: string;
  retry?: number;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  private retry: number | undefined;
  /** The last id seen, as SSE clients resend it in Last-Event-ID. */
  lastEventId: string | undefined;

  private pendingChars = 0;

  push(chunk: string): ServerSentEvent[] {
    this.buffer += chunk;
    if (this.buffer.length + this.pendingChars > MAX_EVENT_CHARS) {
      throw new Error(`sent an event longer than ${MAX_EVENT_CHARS} characters without ending it`);
    }
    const events: ServerSentEvent[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      // A lone \r at the chunk's end may be half of \r\n: wait for more.
      if (this.buffer[newline] === '\r' && newline + 1 === this.buffer.length) {
        break;
      }
      this.buffer = this.buffer.slice(newline + width);
      const event = this.line(line);
      if (event) {
        events.push(event);
      }
    }
    return events;
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === '') {
      return this.dispatch();
    }
    if (line.startsWith(':')) {
      return undefined;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    switch (name) {
      case 'data':
        this.data.push(value);
        this.pendingChars += value.length;
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.id = value;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) {
          this.retry = Number(value);
        }
        break;
    }
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    if (this.id !== undefined) {
      this.lastEventId = this.id;
    }
    const hasData = this.data.length > 0;
    const event: ServerSentEvent = { event: this.event || 'message', data: this.data.join('\n') };
    if (this.id !== undefined) {
      event.id = this.id;
    }
    if (this.retry !== undefined) {
      event.retry = this.retry;
    }
    this.data = [];
    this.pendingChars = 0;
    this.event = '';
    this.id = undefined;
    this.retry = undefined;
    return hasData ? event : undefined;
  }
}
