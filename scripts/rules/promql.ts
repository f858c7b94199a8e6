// PromQL handling for the generator, on Prometheus' own PromQL grammar
// (@prometheus-io/lezer-promql, the parser of the Prometheus web UI): syntax
// errors, the metric names an expression reads, the split of an alert
// expression into value and threshold, and the inlining of recording rules
// for Grafana-managed rules.
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';

export type ComparisonOp = '>' | '<' | '>=' | '<=' | '==' | '!=';

const COMPARISONS: Record<string, ComparisonOp> = {
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  Eql: '==',
  Neq: '!=',
};

// Places where a recorded series cannot be replaced by its definition text.
const NOT_INLINABLE_PARENTS = new Set(['MatrixSelector', 'SubqueryExpr', 'OffsetExpr', 'StepInvariantExpr']);

/** The root expression node; throws with the position of the first syntax error. */
export function parsePromQL(expr: string): SyntaxNode {
  const tree = parser.parse(expr);
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && error === undefined) {
        error = node.from;
      }
    },
  });
  if (error !== undefined) {
    const near = expr.slice(Math.max(0, error - 20), error + 20).replace(/\s+/g, ' ');
    throw new Error(`PromQL syntax error at offset ${error}, near "${near}"`);
  }
  const root = tree.topNode.firstChild;
  if (!root) {
    throw new Error('empty PromQL expression');
  }
  return root;
}

function vectorSelectors(expr: string): Array<{ node: SyntaxNode; name: string }> {
  const found: Array<{ node: SyntaxNode; name: string }> = [];
  parser.parse(expr).iterate({
    enter(ref) {
      if (ref.name === 'VectorSelector') {
        const id = ref.node.getChild('Identifier');
        if (id) {
          found.push({ node: ref.node, name: expr.slice(id.from, id.to) });
        }
      }
    },
  });
  return found;
}

/** Metric names an expression selects, in order of first appearance. */
export function metricNames(expr: string): string[] {
  parsePromQL(expr);
  return [...new Set(vectorSelectors(expr).map((s) => s.name))];
}

export interface Threshold {
  /** The expression left of the comparison: what the alert measures. */
  query: string;
  op: ComparisonOp;
  value: number;
}

/**
 * Splits `<query> <op> <number>` at its top-level comparison. Undefined when
 * the expression has another shape (no comparison, `bool`, a vector on the
 * right).
 */
export function splitThreshold(expr: string): Threshold | undefined {
  const root = parsePromQL(expr);
  if (root.name !== 'BinaryExpr') {
    return undefined;
  }
  const children: SyntaxNode[] = [];
  for (let child = root.firstChild; child; child = child.nextSibling) {
    children.push(child);
  }
  const opIndex = children.findIndex((c) => c.name in COMPARISONS);
  if (opIndex !== 1 || children.length !== 3) {
    return undefined; // not a comparison, or one with bool/on/ignoring modifiers
  }
  const [lhs, opNode, rhs] = children;
  const rhsText = expr.slice(rhs.from, rhs.to).trim();
  const value = Number(rhsText);
  if (rhs.name !== 'NumberDurationLiteral' || rhsText === '' || !Number.isFinite(value)) {
    return undefined;
  }
  return { query: expr.slice(lhs.from, lhs.to).trim(), op: COMPARISONS[opNode.name], value };
}

/** Collapses whitespace outside string literals, to put multi-line definitions on one line. */
export function oneLine(expr: string): string {
  let out = '';
  let quote: string | undefined;
  let space = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quote) {
      out += c;
      if (c === '\\') {
        out += expr[++i] ?? '';
      } else if (c === quote) {
        quote = undefined;
      }
      continue;
    }
    if (/\s/.test(c)) {
      space = true;
      continue;
    }
    if (space && out !== '' && !out.endsWith('(') && c !== ')') {
      out += ' ';
    }
    space = false;
    if (c === '"' || c === "'" || c === '`') {
      quote = c;
    }
    out += c;
  }
  return out;
}

/**
 * Replaces each recorded series by its definition, recursively, so the
 * expression runs against a Prometheus that does not have the recording
 * rules. Recorded series must appear bare: a matcher or a range on one
 * cannot be pushed into an arbitrary definition.
 */
export function inlineRecorded(expr: string, recorded: ReadonlyMap<string, string>, seen: string[] = []): string {
  parsePromQL(expr);
  const replacements: Array<{ from: number; to: number; text: string }> = [];
  for (const { node, name } of vectorSelectors(expr)) {
    const definition = recorded.get(name);
    if (definition === undefined) {
      continue;
    }
    if (seen.includes(name)) {
      throw new Error(`recording rule ${name} refers to itself through ${seen.join(' -> ')}`);
    }
    const matchers = node.getChild('LabelMatchers');
    if (matchers && expr.slice(matchers.from, matchers.to).replace(/\s/g, '') !== '{}') {
      throw new Error(`recorded series ${name} is used with label matchers; use it bare or select in its definition`);
    }
    if (node.parent && NOT_INLINABLE_PARENTS.has(node.parent.name)) {
      throw new Error(`recorded series ${name} is used with a range, offset or @; use it bare`);
    }
    const inlined = inlineRecorded(definition, recorded, [...seen, name]);
    replacements.push({ from: node.from, to: node.to, text: `(${oneLine(inlined)})` });
  }
  let out = expr;
  for (const r of replacements.sort((a, b) => b.from - a.from)) {
    out = out.slice(0, r.from) + r.text + out.slice(r.to);
  }
  return out;
}
