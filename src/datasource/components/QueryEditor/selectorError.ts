// The check of the extra PromQL label matchers a decisions query may carry,
// before the query reaches the backend.
const MATCHER = String.raw`\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*`;
const MATCHERS = new RegExp(`^(?:${MATCHER}(?:,${MATCHER})*,?)?$`);

/** Checks extra label matchers as PromQL writes them inside braces; returns why not, or undefined. */
export function selectorError(selector: string | undefined): string | undefined {
  if (!selector?.trim()) {
    return undefined;
  }
  const inner = selector.trim().replace(/^\{(.*)\}$/s, '$1');
  return MATCHERS.test(inner)
    ? undefined
    : 'Write label matchers as in PromQL braces, for example instance="node-1:9090", job=~"zviz.*"';
}
