// Reads the metric names and label matchers out of PromQL expressions with
// Prometheus' own lezer grammar, so dashboards and rules can be checked
// against the agent's metric catalog.
import { parser } from '@prometheus-io/lezer-promql';

export interface SelectorUse {
  metric: string;
  labels: string[];
}

export interface ParsedExpr {
  selectors: SelectorUse[];
  /** Names of range functions with the range they were given, e.g. rate over `5m`. */
  ranges: Array<{ fn: string; range: string }>;
  syntaxErrors: string[];
}

/**
 * Grafana's variables made concrete, the way Grafana interpolates them before
 * Prometheus sees the query.
 */
export function interpolate(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{(\w+)(:\w+)?\}|\$(\w+)/g, 'x');
}

export function parsePromQL(expr: string): ParsedExpr {
  const source = interpolate(expr);
  const tree = parser.parse(source);
  const out: ParsedExpr = { selectors: [], ranges: [], syntaxErrors: [] };
  const text = (from: number, to: number) => source.slice(from, to);
  let currentFn: string[] = [];

  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        out.syntaxErrors.push(`syntax error at ${node.from}: "${text(Math.max(0, node.from - 10), node.to + 10)}"`);
        return;
      }
      if (node.name === 'FunctionIdentifier') {
        currentFn.push(text(node.from, node.to));
      }
      if (node.name === 'MatrixSelector') {
        const inner = node.node.getChild('DurationExpr') ?? node.node.lastChild;
        const fn = currentFn[currentFn.length - 1] ?? '';
        out.ranges.push({ fn, range: inner ? text(inner.from, inner.to) : '' });
      }
      if (node.name === 'VectorSelector') {
        const id = node.node.getChild('Identifier');
        const labels: string[] = [];
        let metric = id ? text(id.from, id.to) : '';
        const matchers = node.node.getChild('LabelMatchers');
        if (matchers) {
          const cursor = matchers.cursor();
          cursor.iterate((m) => {
            if (m.name === 'LabelName') {
              const name = text(m.from, m.to);
              if (name === '__name__') {
                const value = m.node.parent?.getChild('StringLiteral');
                metric = value ? text(value.from + 1, value.to - 1) : metric;
              } else {
                labels.push(name);
              }
            }
          });
        }
        out.selectors.push({ metric, labels });
      }
    },
    leave(node) {
      if (node.name === 'FunctionCall') {
        currentFn = currentFn.slice(0, -1);
      }
    },
  });
  return out;
}
