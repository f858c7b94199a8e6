import { getTemplateSrv } from '@grafana/runtime';

import type { Props } from './QueryEditor';

export type TypedProps<Q> = Omit<Props, 'query'> & { query: Q };

export const LABEL_WIDTH = 14;

/** `$name` of every dashboard variable, offered in pickers next to the real values. */
export function variableOptions(): Array<{ label: string; value: string; description: string }> {
  try {
    return getTemplateSrv()
      .getVariables()
      .map((v) => ({ label: `$${v.name}`, value: `$${v.name}`, description: 'Dashboard variable' }));
  } catch {
    return [];
  }
}

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
