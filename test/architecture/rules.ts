// What the architecture tests hold the import graph to, as functions of the
// graph so that their own tests can feed them a small wrong one.
import { posix } from 'node:path';

import type { ImportGraph } from './import-graph';

/** Tests, benchmarks and their support: nothing a product module may import. */
export function isTestModule(path: string): boolean {
  return (
    /\.(test|spec)\.tsx?$/.test(path) ||
    /(^|\/)(test|tests|bench|__tests__|__mocks__|__fixtures__)\//.test(path) ||
    /(^|\/)[^/]*(testing|fixtures?)[^/]*(\/|\.[cm]?[jt]sx?$)/.test(path) ||
    /(^|\/)test-[^/]+$/.test(path)
  );
}

/**
 * Specifiers of the test support package (test/support): caught by name as
 * well, so that the rule holds for an import that does not resolve.
 */
const TEST_ALIASES = /^@zviz\/test-support(\/|$)/;

/** `from -> to` for every import of test code by a product module. */
export function testImportsFromProduct(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const [from, imports] of graph) {
    if (isTestModule(from)) {
      continue;
    }
    for (const { specifier, resolved } of imports) {
      if (TEST_ALIASES.test(specifier) || (resolved !== undefined && isTestModule(resolved))) {
        found.push(`${from} -> ${resolved ?? specifier}`);
      }
    }
  }
  return found.sort();
}

/**
 * The part of a module's path that names its top-level unit under `root`:
 * `agent/src/broker/addon.ts` -> `broker`; a file directly under the root is
 * its own unit (`agent.ts`).
 */
export function topLevelUnit(root: string, path: string): string | undefined {
  const rel = posix.relative(root, path);
  if (rel.startsWith('..') || rel === '') {
    return undefined;
  }
  return rel.split('/')[0];
}

/** Top-level unit -> the units its product modules import (tests do not count: a test may reach into any folder). */
export function unitEdges(graph: ImportGraph, root: string): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const [from, imports] of graph) {
    const source = topLevelUnit(root, from);
    if (source === undefined || isTestModule(from)) {
      continue;
    }
    const targets = edges.get(source) ?? new Set<string>();
    edges.set(source, targets);
    for (const { resolved } of imports) {
      const target = resolved === undefined ? undefined : topLevelUnit(root, resolved);
      if (target !== undefined && target !== source && !isTestModule(resolved!)) {
        targets.add(target);
      }
    }
  }
  return edges;
}

/**
 * Every import between top-level units of `root` that closes a loop, as
 * `from -> to`: the target leads back to the source, directly or round
 * other units. Taking each of them away (or turning it round) leaves the
 * units in layers.
 */
export function cyclicUnitImports(graph: ImportGraph, root: string): string[] {
  return importsClosingLoops(unitEdges(graph, root));
}

/** Product module under `root` -> the product modules under `root` it imports. */
export function moduleEdges(graph: ImportGraph, root: string): Map<string, Set<string>> {
  const inside = (path: string) => path.startsWith(`${root}/`) && !isTestModule(path);
  const edges = new Map<string, Set<string>>();
  for (const [from, imports] of graph) {
    if (!inside(from)) {
      continue;
    }
    const targets = new Set<string>();
    for (const { resolved } of imports) {
      if (resolved !== undefined && resolved !== from && inside(resolved)) {
        targets.add(resolved);
      }
    }
    edges.set(from, targets);
  }
  return edges;
}

/**
 * The same within a folder, module by module: a loop between two files
 * (a type one takes from the other is enough) means neither can be read,
 * tested or moved without the other.
 */
export function cyclicModuleImports(graph: ImportGraph, root: string): string[] {
  return importsClosingLoops(moduleEdges(graph, root));
}

function importsClosingLoops(edges: Map<string, Set<string>>): string[] {
  const group = new Map<string, number>();
  stronglyConnected(edges).forEach((members, i) => members.forEach((m) => group.set(m, i)));
  const found: string[] = [];
  for (const [from, targets] of edges) {
    for (const to of targets) {
      if (group.get(from) === group.get(to)) {
        found.push(`${from} -> ${to}`);
      }
    }
  }
  return found.sort();
}

/** Tarjan's algorithm (recursive: the graphs are a few hundred modules deep at most). */
function stronglyConnected(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const groups: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const target of edges.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      groups.push(group);
    }
  };
  for (const node of edges.keys()) {
    if (!index.has(node)) {
      visit(node);
    }
  }
  return groups;
}

/** Imports from `from` (a folder) into any of `forbidden` (folders). */
export function importsInto(graph: ImportGraph, from: string, forbidden: string[]): string[] {
  const found: string[] = [];
  for (const [source, imports] of graph) {
    if (!source.startsWith(`${from}/`)) {
      continue;
    }
    for (const { resolved } of imports) {
      if (resolved !== undefined && forbidden.some((f) => resolved.startsWith(`${f}/`))) {
        found.push(`${source} -> ${resolved}`);
      }
    }
  }
  return found.sort();
}

/** Imports of Node's own modules (`node:http`) by the product modules under `from` (a folder). */
export function nodeImports(graph: ImportGraph, from: string): string[] {
  const found: string[] = [];
  for (const [source, imports] of graph) {
    if (!source.startsWith(`${from}/`) || isTestModule(source)) {
      continue;
    }
    for (const { specifier, core } of imports) {
      if (core) {
        found.push(`${source} -> ${specifier}`);
      }
    }
  }
  return found.sort();
}

/**
 * Imports of a later step by an earlier one, for modules that form a
 * pipeline (`steps` in their order): each step may use the ones before it,
 * never one after.
 */
export function laterStepImports(graph: ImportGraph, steps: readonly string[]): string[] {
  const found: string[] = [];
  steps.forEach((step, i) => {
    for (const { resolved } of graph.get(step) ?? []) {
      if (resolved !== undefined && steps.indexOf(resolved) > i) {
        found.push(`${step} -> ${resolved}`);
      }
    }
  });
  return found.sort();
}

/** The package name of test/support, which test/support/package.json alone defines. */
export const TEST_SUPPORT = '@zviz/test-support';

/** An import of the package, in any of the forms code names a module. */
const IMPORT_OF_TEST_SUPPORT = new RegExp(
  `(\\bfrom\\s*|\\bimport\\s*\\(?\\s*|\\brequire\\s*\\(\\s*|\\bvi\\.mock\\(\\s*)['"\`]${TEST_SUPPORT}/[^'"\`]+['"\`]`,
  'g'
);

/**
 * `file:line` of every mention of @zviz/test-support in code or
 * configuration that is not an import of it nor a comment: an alias set up
 * again (a tsconfig `paths` entry, a bundler's or test runner's alias), where
 * the package's own manifest is the one place that defines it.
 */
export function testSupportDefinitions(files: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [path, text] of files) {
    text.split('\n').forEach((line, i) => {
      if (!line.includes(TEST_SUPPORT) || /^\s*(\/\/|\/\*|\*)/.test(line)) {
        return;
      }
      if (line.replace(IMPORT_OF_TEST_SUPPORT, '').includes(TEST_SUPPORT)) {
        found.push(`${path}:${i + 1}`);
      }
    });
  }
  return found.sort();
}
