// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');

const swcTransform = base.transform['^.+\\.(t|j)sx?$'];

module.exports = {
  ...base,
  // @grafana 13 pulls in dependencies that ship only ESM `.mjs` files; the
  // scaffold's transform pattern does not match `.mjs`, so add it.
  transform: {
    '^.+\\.(t|j)sx?$': swcTransform,
    '^.+\\.mjs$': swcTransform,
  },
  transformIgnorePatterns: [
    nodeModulesToTransform([
      ...grafanaESModules,
      'd3-.*',
      '@ver0/deep-equal',
      '@react-hookz/web',
      'internmap',
      'robust-predicates',
      'delaunator',
    ]),
  ],
  // The machine is shared: a test that renders Grafana UI components may wait
  // for the CPU well beyond jest's 5 s default without being wrong. A combobox
  // test that takes 2 s at load 11 alone took over 30 s in a full run beside
  // the other jest worker and six other processes' builds; a hung test still
  // fails, two minutes later.
  testTimeout: 120_000,
};
