// The shape of the code, checked on its import graph (dependency-cruiser's):
// product modules never import tests or their support, the workspace packages
// import none of the three components, the contract package (which the
// frontend bundles for the browser) imports none of Node's modules and the
// frontend not the Node-only agent client, and the top-level folders of each
// component's source import each other one way only.
import { beforeAll, describe, expect, it } from 'vitest';

import { importGraph, type ImportGraph } from './import-graph';
import {
  cyclicModuleImports,
  cyclicUnitImports,
  importsInto,
  isTestModule,
  laterStepImports,
  nodeImports,
  testImportsFromProduct,
} from './rules';

const COMPONENTS = ['agent/src', 'src', 'pkg-backend/src'];
const CONTRACT = 'packages/shared/src';
/** The Node-only client of the agent API (packages/agent-client/README.md). */
const AGENT_CLIENT = 'packages/agent-client/src';
const PACKAGES = [CONTRACT, AGENT_CLIENT];
const FRONTEND = 'src';

/**
 * Imports between top-level folders that close a loop and were there when
 * this test came, to be taken apart (issue 18): the list may only shrink. A
 * new one fails; one that no longer closes a loop must leave the list.
 */
const KNOWN_CYCLIC_IMPORTS: Record<string, string[]> = {
  'agent/src': [],
  src: [],
  'pkg-backend/src': [],
};

/** Loading a profile, one module per step in the order they run (agent/src/profiles/profile.ts). */
const PROFILE_STEPS = ['load', 'parse', 'validate', 'expand', 'check', 'compile', 'profile'].map(
  (step) => `agent/src/profiles/${step}.ts`
);

describe('the import graph', () => {
  let graph: ImportGraph;
  beforeAll(async () => {
    graph = await importGraph([...COMPONENTS, ...PACKAGES]);
  }, 300_000);

  it('covers every component, tests included', () => {
    for (const root of [...COMPONENTS, ...PACKAGES]) {
      expect([...graph.keys()].filter((path) => path.startsWith(`${root}/`)).length, root).toBeGreaterThan(3);
    }
    expect([...graph.keys()].some(isTestModule)).toBe(true);
  });

  it('has no product module importing a test, a test helper or a fixture', () => {
    expect(testImportsFromProduct(graph)).toEqual([]);
  });

  it.each(PACKAGES)('has the workspace package %s import none of the components', (root) => {
    expect(importsInto(graph, root, COMPONENTS)).toEqual([]);
  });

  it("keeps Node's modules out of the contract package the frontend bundles", () => {
    expect(nodeImports(graph, CONTRACT)).toEqual([]);
    // The rule sees them where they are.
    expect(nodeImports(graph, AGENT_CLIENT)).toContain(`${AGENT_CLIENT}/http.ts -> http`);
  });

  it('keeps the Node-only agent client out of the frontend', () => {
    expect(importsInto(graph, FRONTEND, [AGENT_CLIENT])).toEqual([]);
    expect(importsInto(graph, 'pkg-backend/src', [AGENT_CLIENT]).length).toBeGreaterThan(0);
  });

  it.each([...COMPONENTS, ...PACKAGES])(
    'has no product modules of %s importing each other, directly or round others',
    (root) => {
      expect(cyclicModuleImports(graph, root)).toEqual([]);
    }
  );

  it('has the steps of profile loading use earlier steps only', () => {
    for (const step of PROFILE_STEPS) {
      expect(graph.has(step), step).toBe(true);
    }
    expect(laterStepImports(graph, PROFILE_STEPS)).toEqual([]);
  });

  it.each(COMPONENTS)('has no new import cycle between the top-level folders of %s', (root) => {
    const cyclic = cyclicUnitImports(graph, root);
    const known = KNOWN_CYCLIC_IMPORTS[root];
    expect(
      cyclic.filter((edge) => !known.includes(edge)),
      'imports that make top-level folders depend on each other; let one depend on the other, not both'
    ).toEqual([]);
    expect(
      known.filter((edge) => !cyclic.includes(edge)),
      'no longer part of a loop: take it out of KNOWN_CYCLIC_IMPORTS'
    ).toEqual([]);
  });
});

describe('the rules themselves', () => {
  const graph: ImportGraph = new Map([
    [
      'agent/src/broker/component.ts',
      [{ specifier: '../containers/manager', resolved: 'agent/src/containers/manager.ts' }],
    ],
    ['agent/src/containers/manager.ts', [{ specifier: '../broker/addon', resolved: 'agent/src/broker/addon.ts' }]],
    ['agent/src/broker/addon.ts', [{ specifier: './component', resolved: 'agent/src/broker/component.ts' }]],
    ['agent/src/top/model.ts', [{ specifier: './test-polls', resolved: 'agent/src/top/test-polls.ts' }]],
    ['agent/src/top/model.test.ts', [{ specifier: '../broker/addon', resolved: 'agent/src/broker/addon.ts' }]],
    ['agent/src/top/test-polls.ts', [{ specifier: '../top/model', resolved: 'agent/src/top/model.ts' }]],
    [
      'src/pages/Overview.tsx',
      [{ specifier: '../../test/support/frontend/backend', resolved: 'test/support/frontend/backend.ts' }],
    ],
    ['src/datasource/types.ts', [{ specifier: './fixtures', resolved: 'src/datasource/fixtures.ts' }]],
    ['pkg-backend/src/main.ts', [{ specifier: '@zviz/test-support/ports' }]],
    ['packages/shared/src/agent-api.ts', [{ specifier: 'node:http', core: true }]],
    ['packages/shared/src/agent-api.test.ts', [{ specifier: 'node:fs', core: true }]],
  ]);

  it('finds product modules that import test code, by folder, by name and through the test alias', () => {
    expect(testImportsFromProduct(graph)).toEqual([
      'agent/src/top/model.ts -> agent/src/top/test-polls.ts',
      'pkg-backend/src/main.ts -> @zviz/test-support/ports',
      'src/datasource/types.ts -> src/datasource/fixtures.ts',
      'src/pages/Overview.tsx -> test/support/frontend/backend.ts',
    ]);
  });

  it("finds Node's modules imported by product modules, not by their tests", () => {
    expect(nodeImports(graph, 'packages/shared/src')).toEqual(['packages/shared/src/agent-api.ts -> node:http']);
  });

  it('finds a step of a pipeline that imports a later one', () => {
    const steps = ['p/parse.ts', 'p/validate.ts', 'p/expand.ts'];
    const pipeline: ImportGraph = new Map([
      ['p/parse.ts', []],
      [
        'p/validate.ts',
        [
          { specifier: './expand', resolved: 'p/expand.ts' },
          { specifier: './parse', resolved: 'p/parse.ts' },
        ],
      ],
      ['p/expand.ts', [{ specifier: './validate', resolved: 'p/validate.ts' }]],
    ]);
    expect(laterStepImports(pipeline, steps)).toEqual(['p/validate.ts -> p/expand.ts']);
  });

  it('finds the imports that make folders depend on each other, and none through a test', () => {
    expect(cyclicUnitImports(graph, 'agent/src')).toEqual(['broker -> containers', 'containers -> broker']);
  });

  it('finds modules that import each other, round a third too, and none through a test', () => {
    expect(cyclicModuleImports(graph, 'agent/src')).toEqual([
      'agent/src/broker/addon.ts -> agent/src/broker/component.ts',
      'agent/src/broker/component.ts -> agent/src/containers/manager.ts',
      'agent/src/containers/manager.ts -> agent/src/broker/addon.ts',
    ]);
    expect(cyclicModuleImports(graph, 'src')).toEqual([]);
  });
});
