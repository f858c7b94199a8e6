// Reads an upstream's JSON answer and checks its shape, failing with an
// UpstreamError (kind `response`) that names the upstream, the request and
// what was wrong, in words an operator can act on: HTML where JSON belongs
// (a proxy's login page, the wrong port), JSON cut off, or JSON of the wrong
// shape with the first few paths that do not fit.
import en from 'zod/v4/locales/en.js';
import * as z from 'zod/mini';

import type { HttpResponse } from './http';
import { type JsonBudget, jsonOverBudget } from './json-budget';
import { UpstreamError } from './upstream-error';

// zod/mini carries no messages of its own ("Invalid input"): English ones,
// which say what was expected and what came.
z.config(en());

/** Issues named in one message; the rest are counted. */
const SHOWN_ISSUES = 3;

function contentType(response: HttpResponse): string {
  const type = response.headers['content-type'];
  return type ? String(type).split(';')[0].trim() : 'no Content-Type';
}

/** `events.3.decision`, `components.tracer`, or `the answer` for the root. */
function where(path: ReadonlyArray<PropertyKey>): string {
  return path.length ? path.map(String).join('.') : 'the answer';
}

/** The zod issues as one line: `status: Invalid option: …; components.tracer: Invalid input: …`. */
export function describeIssues(error: z.core.$ZodError, under: ReadonlyArray<PropertyKey> = []): string {
  const shown = error.issues.slice(0, SHOWN_ISSUES).map((i) => `${where([...under, ...i.path])}: ${i.message}`);
  const more = error.issues.length - shown.length;
  return more > 0 ? `${shown.join('; ')} (and ${more} more)` : shown.join('; ');
}

export class AnswerReader {
  constructor(
    /** Who answered, e.g. `agent 10.0.0.3:9090`. */
    private readonly upstream: string,
    /** What the answer should have been, for the hint after a non-JSON answer. */
    private readonly hint: string
  ) {}

  /**
   * The parsed JSON body, or an error saying what came instead. With a
   * `budget`, JSON beyond it is refused before it is parsed (json-budget.ts).
   */
  json(what: string, response: HttpResponse, budget?: JsonBudget): unknown {
    const text = response.body.toString('utf8');
    const over = budget && jsonOverBudget(text, budget);
    if (over) {
      throw new UpstreamError(
        this.upstream,
        `${what} answered ${response.status} with JSON ${over}, beyond any answer it should send`,
        'response',
        response.status
      );
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      const type = contentType(response);
      const detail = type.includes('json')
        ? `${what} answered ${response.status} with invalid JSON (${(error as Error).message})`
        : `${what} answered ${response.status} with ${type}, not JSON (${this.hint})`;
      throw new UpstreamError(this.upstream, detail, 'response', response.status);
    }
  }

  /** `value` as the schema's type, or an error naming the paths that do not fit. */
  check<S extends z.ZodMiniType>(schema: S, value: unknown, what: string, status?: number): z.infer<S> {
    const result = schema.safeParse(value);
    if (!result.success) {
      throw new UpstreamError(
        this.upstream,
        `${what} answered JSON of the wrong shape: ${describeIssues(result.error)}`,
        'response',
        status
      );
    }
    return result.data;
  }
}
