// Routes by method and path pattern. Patterns are literal segments and
// `:name` parameters (`/api/v1/containers/:id`); the pattern, not the path,
// labels the request metrics, so their cardinality stays bounded.
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface Match<T> {
  route: T;
  pattern: string;
  params: Record<string, string>;
}

interface Entry<T> {
  pattern: string;
  segments: string[];
  methods: Map<Method, T>;
}

export class Router<T> {
  private readonly entries: Entry<T>[] = [];

  add(method: Method, pattern: string, route: T): void {
    if (!pattern.startsWith('/')) {
      throw new Error(`route pattern must start with "/": ${pattern}`);
    }
    let entry = this.entries.find((e) => e.pattern === pattern);
    if (!entry) {
      entry = { pattern, segments: pattern.split('/').slice(1), methods: new Map() };
      this.entries.push(entry);
    }
    if (entry.methods.has(method)) {
      throw new Error(`route ${method} ${pattern} is already registered`);
    }
    entry.methods.set(method, route);
  }

  /**
   * The route for this method and path; `allowed` lists the methods the
   * path has when it exists but not for this method (a 405), and both are
   * undefined for an unknown path (a 404). HEAD is answered by GET routes.
   */
  match(method: string, path: string): { found?: Match<T>; allowed?: Method[] } {
    const segments = path.split('/').slice(1);
    for (const entry of this.entries) {
      const params = matchSegments(entry.segments, segments);
      if (!params) {
        continue;
      }
      const route = entry.methods.get((method === 'HEAD' ? 'GET' : method) as Method);
      if (route) {
        return { found: { route, pattern: entry.pattern, params } };
      }
      return { allowed: [...entry.methods.keys()] };
    }
    return {};
  }
}

function matchSegments(pattern: string[], path: string[]): Record<string, string> | undefined {
  if (pattern.length !== path.length) {
    return undefined;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i].startsWith(':')) {
      if (!path[i]) {
        return undefined;
      }
      try {
        params[pattern[i].slice(1)] = decodeURIComponent(path[i]);
      } catch {
        return undefined;
      }
    } else if (pattern[i] !== path[i]) {
      return undefined;
    }
  }
  return params;
}
