// The import graph of ZViz's TypeScript, as dependency-cruiser resolves it
// (type-only imports included: they tie modules together as much as values
// do), reduced to what the architecture tests judge: which repository file
// imports which other repository file, and which of Node's own modules.
import { relative, resolve } from 'node:path';

export const REPO = resolve(__dirname, '..', '..');

export interface Import {
  /** What the import statement names, e.g. `../config/schema` or `@zviz/shared/query`. */
  specifier: string;
  /** Repository-relative path of the module it resolved to; undefined if it did not resolve. */
  resolved?: string;
  /** One of Node's own modules, named without `node:` (`http`, `fs`). */
  core?: boolean;
}

/** Repository-relative path of each module, and what it imports besides npm's modules. */
export type ImportGraph = Map<string, Import[]>;

export async function importGraph(roots: string[], base = REPO): Promise<ImportGraph> {
  // dependency-cruiser is an ES module; vitest loads it as one.
  const { cruise } = await import('dependency-cruiser');
  const result = await cruise(
    roots,
    {
      baseDir: base,
      tsPreCompilationDeps: true,
      doNotFollow: { path: 'node_modules' },
      exclude: { path: ['node_modules', '(^|/)dist/', '(^|/)build/'] },
      combinedDependencies: false,
      enhancedResolveOptions: {
        exportsFields: ['exports'],
        conditionNames: ['import', 'require', 'node', 'default'],
        extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'],
      },
    },
    {},
    {}
  );
  if (typeof result.output === 'string') {
    throw new Error('dependency-cruiser returned a report, not a graph');
  }
  const graph: ImportGraph = new Map();
  for (const module of result.output.modules) {
    if (module.coreModule || module.source.includes('node_modules')) {
      continue;
    }
    const source = relative(base, resolve(base, module.source));
    const imports = module.dependencies
      .filter((d) => d.coreModule || !d.resolved.includes('node_modules'))
      .map((d): Import =>
        d.coreModule
          ? { specifier: d.module, core: true }
          : { specifier: d.module, resolved: d.couldNotResolve ? undefined : relative(base, resolve(base, d.resolved)) }
      );
    graph.set(source, imports);
  }
  return graph;
}
